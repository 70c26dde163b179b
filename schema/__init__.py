"""The GraphQL schema, composed from one module per domain."""
