"""The JSON API, version 1, documented by the OpenAPI document it generates."""
