"""The GraphQL layer: types, inputs, permission checks, and mapping domain errors into payloads."""
