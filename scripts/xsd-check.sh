#!/usr/bin/env bash
# XSD conformance check for the SMSP message layer (SMSP SPEC §2.5, §4, §5, §2.6).
#
#   scripts/xsd-check.sh [REF_DIR]        REF_DIR defaults to ../shared/reference
#
# Runs `cargo run --example smsp_samples` (a minimal and a maximal request per interaction plus
# the simulator's responses and faults), then, for every generated file and every fixture in
# tests/fixtures/smsp, extracts the parts the official schemas define and validates them with
# xmllint:
#   - itk:DistributionEnvelope   against Schemas/distributionEnvelope-v2-0.xsd
#     (its payload is `xs:any processContents="lax"` and the HL7 namespace is not imported, so
#     the payload is skipped there and validated separately);
#   - the HL7 payload element    against its QUPA_MT00000nGB01.xsd / COMT_MT0000{13,14,16}GB01.xsd,
#     chosen from the root element name (an independent mapping from the Rust code's);
#   - itk:ToolkitErrorInfo       against Schemas/ITKMessageTypes-2010-05.xsd.
# SOAP headers have no schema in the reference set and are covered by the Rust tests.
#
# Installs nothing: needs xmllint (Debian: libxml2-utils) and python3 (stdlib only).
# Exits non-zero if anything fails to validate.
set -euo pipefail

cd "$(dirname "$0")/.."
REF="${1:-../shared/reference}"
SCHEMAS="$REF/smsp/xsd/Schemas"

if ! command -v xmllint >/dev/null 2>&1; then
    echo "xsd-check: xmllint not found (install libxml2-utils)" >&2
    exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "xsd-check: python3 not found" >&2
    exit 2
fi
if [ ! -f "$SCHEMAS/distributionEnvelope-v2-0.xsd" ]; then
    echo "xsd-check: no schemas under $SCHEMAS" >&2
    exit 2
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cargo run --quiet --example smsp_samples -- "$WORK/samples"

python3 - "$SCHEMAS" "$WORK" "$WORK/samples/requests" "$WORK/samples/responses" tests/fixtures/smsp <<'PY'
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

schemas, work = sys.argv[1], sys.argv[2]
dirs = sys.argv[3:]
ITK = "urn:nhs-itk:ns:201005"
HL7 = "urn:hl7-org:v3"
PAYLOAD_SCHEMA = {
    "verifyNHSNumberRequest-v1-0": "QUPA_MT000001GB01.xsd",
    "getNHSNumberRequest-v1-0": "QUPA_MT000002GB01.xsd",
    "getPatientDetailsByNHSNumberRequest-v1-0": "QUPA_MT000003GB01.xsd",
    "getPatientDetailsBySearchRequest-v1-0": "QUPA_MT000004GB01.xsd",
    "getPatientDetails-v1-0": "QUPA_MT000005GB01.xsd",
    "verifyNHSNumberResponse-v1-0": "COMT_MT000013GB01.xsd",
    "getNHSNumberResponse-v1-0": "COMT_MT000014GB01.xsd",
    "getPatientDetailsResponse-v1-0": "COMT_MT000016GB01.xsd",
}

def local(tag):
    return tag.rsplit("}", 1)[-1]

def ns(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""

def validate(element, schema, label, results):
    path = os.path.join(work, "part-%d.xml" % len(results))
    with open(path, "wb") as f:
        f.write(ET.tostring(element, encoding="utf-8"))
    run = subprocess.run(
        ["xmllint", "--noout", "--schema", os.path.join(schemas, schema), path],
        capture_output=True, text=True)
    ok = run.returncode == 0
    results.append((ok, label, schema))
    if not ok:
        print("FAIL %s against %s\n%s" % (label, schema, run.stderr.strip()))

results = []
files = 0
for d in dirs:
    for name in sorted(os.listdir(d)):
        if not name.endswith(".xml"):
            continue
        files += 1
        label = os.path.join(d, name)
        root = ET.parse(label).getroot()
        parts = 0
        for env in root.iter("{%s}DistributionEnvelope" % ITK):
            validate(env, "distributionEnvelope-v2-0.xsd", label + " (ITK envelope)", results)
            parts += 1
        payloads = [p for payload in root.iter("{%s}payload" % ITK) for p in payload]
        if ns(root.tag) == HL7:
            payloads.append(root)
        for p in payloads:
            schema = PAYLOAD_SCHEMA.get(local(p.tag)) if ns(p.tag) == HL7 else None
            if schema is None:
                results.append((False, label, "no schema for payload " + p.tag))
                print("FAIL %s: no schema for payload %s" % (label, p.tag))
                continue
            validate(p, schema, label + " (HL7 payload)", results)
            parts += 1
        for info in root.iter("{%s}ToolkitErrorInfo" % ITK):
            validate(info, "ITKMessageTypes-2010-05.xsd", label + " (ToolkitErrorInfo)", results)
            parts += 1
        if parts == 0:
            results.append((False, label, "nothing to validate"))
            print("FAIL %s: nothing to validate" % label)

failed = [r for r in results if not r[0]]
print("xsd-check: %d files, %d parts validated, %d failed" % (files, len(results), len(failed)))
sys.exit(1 if failed else 0)
PY
