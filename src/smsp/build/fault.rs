//! ITK SOAP 1.1 fault with `itk:ToolkitErrorInfo`, for the simulator (SMSP SPEC §2.6).

use super::writer::Xml;
use crate::smsp::interaction::{ns, oid};
use crate::smsp::ToolkitFault;

const CLIENT_TEXT: &str =
    "A client related error has occurred, see detail element for further information";
const SERVER_TEXT: &str =
    "A server related error has occurred, see detail element for further information";

/// Writes a SOAP fault envelope. `wsa:Action` is the WS-Addressing fault action; the faultcode
/// follows the ITK code — `soap:Client` for 1000 (invalid message) and 3000 (access denied),
/// `soap:Server` for 2100/2200 (processing errors) — and otherwise the local part of
/// `fault.fault_code` under this document's `soap` prefix. Empty texts get the ITK defaults;
/// a missing ErrorID (required by the schema) is filled with the fault's message id.
pub fn fault_envelope(fault: &ToolkitFault, message_id: &uuid::Uuid) -> String {
    let client = match fault.error_code.as_str() {
        "1000" | "3000" => true,
        "2100" | "2200" => false,
        _ => fault
            .fault_code
            .rsplit(':')
            .next()
            .is_some_and(|local| local.eq_ignore_ascii_case("Client")),
    };
    let fault_string = if fault.fault_string.is_empty() {
        if client {
            CLIENT_TEXT
        } else {
            SERVER_TEXT
        }
    } else {
        fault.fault_string.as_str()
    };
    let mut x = Xml::with_capacity(1024);
    x.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
        .raw("\n<soap:Envelope xmlns:soap=\"")
        .raw(ns::SOAP)
        .raw("\" xmlns:wsa=\"")
        .raw(ns::WSA)
        .raw("\" xmlns:itk=\"")
        .raw(ns::ITK)
        .raw("\"><soap:Header><wsa:MessageID>")
        .uuid(message_id)
        .raw("</wsa:MessageID><wsa:Action>")
        .raw(ns::FAULT_ACTION)
        .raw("</wsa:Action></soap:Header><soap:Body><soap:Fault><faultcode>")
        .raw(if client { "soap:Client" } else { "soap:Server" })
        .raw("</faultcode>")
        .text_element("faultstring", fault_string)
        .raw("<detail><itk:ToolkitErrorInfo><itk:ErrorID>");
    match fault.error_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => x.text(id),
        None => x.uuid(message_id),
    };
    x.raw("</itk:ErrorID><itk:ErrorCode codeSystem=\"")
        .raw(oid::ITK_ERROR)
        .raw("\">")
        .text(&fault.error_code)
        .raw("</itk:ErrorCode><itk:ErrorText>")
        .text(
            fault
                .error_text
                .as_deref()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| default_error_text(&fault.error_code)),
        )
        .raw("</itk:ErrorText>");
    if let Some(diag) = &fault.diagnostic_text {
        x.text_element("itk:ErrorDiagnosticText", diag);
    }
    x.raw("</itk:ToolkitErrorInfo></detail></soap:Fault></soap:Body></soap:Envelope>");
    x.finish()
}

/// ITK error meanings (SMSP SPEC §2.6 table).
fn default_error_text(code: &str) -> &'static str {
    match code {
        "1000" => "Invalid Message",
        "2100" => "Processing Error, retryable",
        "2200" => "Processing Error, not retryable",
        "3000" => "Access Denied",
        _ => "Processing Error",
    }
}
