#!/usr/bin/env bash
# Is there a maintained XML crate that would bring the mapping under issue 9's 10 µs? quick-xml's
# own event loop takes most of it (docs/PERFORMANCE.md, "Not met"). This builds a scratch
# program outside the project (none of these crates becomes a dependency), with the bridge's
# release profile (fat LTO, one codegen unit), and runs each candidate over the all-fields
# getPatientDetailsResponse fixture:
#   quick-xml  Reader events + attributes: the floor under the bridge's own parser
#   xmlparser  tokens (attributes included); leaves end-tag matching and namespaces to the caller
#   xmltok     a 2026 fork of xmlparser with smaller tokens; the same division of work
#   roxmltree  a whole read-only tree with namespaces resolved (what smsp::parse::reader builds)
#   simdxml    a structural index for XPath queries
#   rxml       strict streaming events, namespaces resolved; made for untrusted input (XMPP)
#   xml        the successor of xml-rs: streaming events, namespaces resolved
# It prints the median time per document (9 samples of N/10 documents, 3 repeats) and, for
# each crate, which of a set of malformed documents it rejects: SMSP answers are untrusted
# input, so a parser that accepts them would leave the checks to hand-written code.
#
# Usage: scripts/xml-crates.sh [N]   (N documents per repeat; 20000 by default)
# Needs: cargo and the crates.io registry.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
source scripts/common.sh
FIXTURE="$PWD/tests/fixtures/smsp/getpatientdetails-response-allfields.xml"
# The program lives in scripts/xml-crates/; it is built from a copy so that its Cargo.lock and
# target/ never land in the tree.
cp -R scripts/xml-crates "$WORK/xml-crates"
echo "==> building the comparison (outside the project)" >&2
cargo build --release --quiet --manifest-path "$WORK/xml-crates/Cargo.toml" --target-dir "$WORK/target"
"$WORK/target/release/xml-crates" "$FIXTURE" "$N"
