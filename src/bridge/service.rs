//! The one interface between the HTTP edge and whatever answers it. `Bridge` (the core)
//! implements it; side rooms such as the cache wrap another implementation without the core
//! knowing they exist.

use futures_util::future::BoxFuture;

use super::{Answer, ApiError, Caller};
use crate::domain::{NhsNumber, PartialDate};
use crate::fhir::{SearchRequest, VerifyRequest};
use crate::mapping::Tables;

/// `GET /Patient/{id}`: the date of birth is optional here because a layer above the core
/// (the cache's "same principal traced it" rule) may be able to answer without it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadRequest {
    pub nhs_number: NhsNumber,
    pub birth_date: Option<PartialDate>,
}

pub trait PatientService: Send + Sync + 'static {
    fn read<'a>(
        &'a self,
        request: ReadRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>>;

    fn search<'a>(
        &'a self,
        request: SearchRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>>;

    fn verify<'a>(
        &'a self,
        request: VerifyRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>>;

    /// Base URL clients see (for `fullUrl`s and the CapabilityStatement).
    fn public_base_url(&self) -> &str;

    /// The mapping tables the answers are written with. Requests are read with the same ones
    /// (`fhir::search::parse_with`), so an overriding `vocabulary.toml` governs both directions
    /// of a code such as `gender`, never only one.
    fn tables(&self) -> &Tables;
}

impl PatientService for super::Bridge {
    fn read<'a>(
        &'a self,
        request: ReadRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        Box::pin(super::Bridge::read(self, request, caller))
    }

    fn search<'a>(
        &'a self,
        request: SearchRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        Box::pin(super::Bridge::search(self, request, caller))
    }

    fn verify<'a>(
        &'a self,
        request: VerifyRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        Box::pin(super::Bridge::verify(self, request, caller))
    }

    fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    fn tables(&self) -> &Tables {
        &self.tables
    }
}
