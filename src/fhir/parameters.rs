//! FHIR R4 `Parameters`: the body of the `$verify-nhs-number` operation (in and out).
//! Only the value[x] types the bridge reads or writes are modelled; a parameter with another
//! value type reads as having no value.

use serde::{Deserialize, Serialize};

use super::datatypes::{Coding, Identifier};

#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Parameters {
    #[serde(rename = "resourceType")]
    pub resource_type: super::datatypes::ParametersType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter: Vec<Parameter>,
}

#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_identifier: Option<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_coding: Option<Coding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub part: Vec<Parameter>,
}

impl Parameter {
    fn named(name: &str) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
    pub fn boolean(name: &str, value: bool) -> Self {
        Self {
            value_boolean: Some(value),
            ..Self::named(name)
        }
    }
    pub fn string(name: &str, value: &str) -> Self {
        Self {
            value_string: Some(value.into()),
            ..Self::named(name)
        }
    }
    pub fn identifier(name: &str, value: Identifier) -> Self {
        Self {
            value_identifier: Some(value),
            ..Self::named(name)
        }
    }
    pub fn coding(name: &str, value: Coding) -> Self {
        Self {
            value_coding: Some(value),
            ..Self::named(name)
        }
    }

    /// How many value[x] fields are set (R4: at most one).
    pub fn value_count(&self) -> usize {
        [
            self.value_boolean.is_some(),
            self.value_integer.is_some(),
            self.value_string.is_some(),
            self.value_code.is_some(),
            self.value_date.is_some(),
            self.value_identifier.is_some(),
            self.value_coding.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

impl Parameters {
    pub fn new(parameter: Vec<Parameter>) -> Self {
        Self {
            resource_type: Default::default(),
            id: None,
            parameter,
        }
    }

    /// Every parameter called `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Parameter> + 'a {
        self.parameter.iter().filter(move |p| p.name == name)
    }

    pub fn get(&self, name: &str) -> Option<&Parameter> {
        self.parameter.iter().find(|p| p.name == name)
    }
}

/// Parameters may carry NHS numbers and names: Debug shows only parameter names.
impl std::fmt::Debug for Parameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.parameter.iter()).finish()
    }
}

impl std::fmt::Debug for Parameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Parameter({}=***)", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_and_reads_typed_values() {
        let p = Parameters::new(vec![
            Parameter::boolean("valid", true),
            Parameter::identifier(
                "nhsNumber",
                Identifier::new("https://fhir.nhs.uk/Id/nhs-number", "9000000009"),
            ),
        ]);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v,
            json!({"resourceType": "Parameters", "parameter": [
                {"name": "valid", "valueBoolean": true},
                {"name": "nhsNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}}]})
        );
        let back: Parameters = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.get("valid").unwrap().value_boolean, Some(true));
        assert_eq!(back.all("valid").count(), 1);
        assert!(!format!("{back:?}").contains("9000000009"));
    }

    #[test]
    fn unknown_value_types_read_as_no_value() {
        let p: Parameters = serde_json::from_value(json!({"resourceType": "Parameters",
            "parameter": [{"name": "x", "valueQuantity": {"value": 1}}]}))
        .unwrap();
        assert_eq!(p.parameter[0].value_count(), 0);
    }
}
