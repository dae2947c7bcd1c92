//! A simulator of the Managed Agents API (see `docs/managed-agents-sdk-schema.md`). Work in progress.
