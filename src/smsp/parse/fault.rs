//! SOAP 1.1 fault carrying `itk:ToolkitErrorInfo` (SMSP SPEC §2.6).

use super::reader::{Element, Ns};
use super::reply::shape;
use super::ParseError;
use crate::smsp::ToolkitFault;

/// SOAP 1.1 fault children are unqualified; some stacks qualify them with the envelope
/// namespace, so both are accepted. A fault without `ToolkitErrorInfo`/`ErrorCode` is not an
/// ITK fault and is reported as a shape error.
pub(super) fn toolkit_fault(fault: Element<'_>) -> Result<ToolkitFault, ParseError> {
    let part = |name: &str| {
        fault
            .child(Ns::None, name)
            .or_else(|| fault.child(Ns::Soap, name))
    };
    let info = part("detail")
        .and_then(|d| d.child(Ns::Itk, "ToolkitErrorInfo"))
        .ok_or_else(|| shape("SOAP fault without itk:ToolkitErrorInfo"))?;
    let itk = |name: &str| {
        info.child(Ns::Itk, name)
            .and_then(Element::text_value)
            .map(str::to_string)
    };
    Ok(ToolkitFault {
        fault_code: part("faultcode")
            .map(|e| e.text().to_string())
            .unwrap_or_default(),
        fault_string: part("faultstring")
            .map(|e| e.text().to_string())
            .unwrap_or_default(),
        error_id: itk("ErrorID"),
        error_code: itk("ErrorCode").ok_or_else(|| shape("ToolkitErrorInfo without ErrorCode"))?,
        error_text: itk("ErrorText"),
        diagnostic_text: itk("ErrorDiagnosticText"),
    })
}
