//! Certificate generation (rcgen) and PEM loading. OWNED BY THE SIMULATOR HELPER.
