//! HTTPS transport with TLS-MA. Written next.
