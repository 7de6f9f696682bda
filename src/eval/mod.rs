//! The IAM condition evaluator: does a trust policy allow a token's claims,
//! and which statement and condition decided. Pure: no I/O, no printing.
