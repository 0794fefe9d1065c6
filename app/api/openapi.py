"""The OpenAPI 3.0 document of /api/v1 (what the tests fuzz with schemathesis)."""

_LOCALIZED = {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}
_ERROR = {"type": "object", "required": ["error", "message"],
          "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
_TIER = {
    "type": "object",
    "required": ["user_id", "tier", "earning_terms", "rules_version"],
    "properties": {
        "user_id": {"type": "integer"},
        "external_id": {"type": "string", "nullable": True},
        "tier": {"type": "object", "required": ["key", "rank", "name"],
                 "properties": {"key": {"type": "string"}, "rank": {"type": "integer"},
                                "name": _LOCALIZED}},
        "earning_terms": {"type": "object", "properties": {
            "commission": _LOCALIZED,
            "terms": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "unlocks_courses": {"type": "array", "items": {"type": "string"}}}},
        "rules_version": {"type": "string"},
    },
}
_CERTIFICATES = {
    "type": "object", "required": ["user_id", "certificates"],
    "properties": {"user_id": {"type": "integer"}, "certificates": {"type": "array", "items": {
        "type": "object", "required": ["code", "status", "issued_at", "verify_url"],
        "properties": {"code": {"type": "string"}, "course_id": {"type": "integer"},
                       "course_title": _LOCALIZED, "issued_at": {"type": "string"},
                       "status": {"type": "string", "enum": ["valid", "revoked"]},
                       "revoked_at": {"type": "string", "nullable": True},
                       "verify_url": {"type": "string"}}}}},
}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok_description: str, schema) -> dict:
    return {"200": {"description": ok_description, **_json(schema)},
            "401": {"description": "Missing, unknown, expired or revoked token", **_json(_ERROR)},
            "403": {"description": "The token lacks the scope", **_json(_ERROR)},
            "404": {"description": "No such learner (`not_found`), or the account is a "
                           "trainer's or an admin's (`not_a_learner`)", **_json(_ERROR)},
            "429": {"description": "Too many requests", **_json(_ERROR)}}


_USER_ID = {"name": "user_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}


def openapi_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "SmallB Academy shop API", "version": "1.0.0",
                 "description": "A learner's earning tier, its terms, and their certificates. "
                                "Authenticate with `Authorization: Bearer <token>` (tokens are "
                                "created by admins with `flask api create-token`)."},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": {
            "/api/v1/learners/{user_id}/tier": {"get": {
                "summary": "Tier and earning terms by user id (scope tiers:read)",
                "parameters": [_USER_ID], "responses": _responses("The tier", _TIER)}},
            "/api/v1/learners/by-external-id/{external_id}/tier": {"get": {
                "summary": "Tier and earning terms by the shop's own id (scope tiers:read)",
                "parameters": [{"name": "external_id", "in": "path", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 64,
                                           "pattern": "^[A-Za-z0-9_.:-]+$"}}],
                "responses": _responses("The tier", _TIER)}},
            "/api/v1/learners/{user_id}/certificates": {"get": {
                "summary": "Certificates, valid and revoked (scope certificates:read)",
                "parameters": [_USER_ID], "responses": _responses("The certificates", _CERTIFICATES)}},
        },
    }
