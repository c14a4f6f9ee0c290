"""The API's OpenAPI 3.1 description, written by hand (no framework generates it).

Served as JSON at ``/api/openapi.json`` and as a plain page at ``/api/docs``
(rendered on the server: no script, no CDN).  The report objects are described
by the project's JSON Schema, served at ``/api/v1/schema/report.json`` and
referenced from here, so the API and ``verify --format json`` share one schema.
"""

from __future__ import annotations

from typing import Any

from provenance import __version__
from provenance.serve.problems import problem_schema

REPORT_SCHEMA_URL = "/api/v1/schema/report.json"


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _files_body(with_paths: bool) -> dict[str, Any]:
    content: dict[str, Any] = {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "properties": {
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "One or more images (repeat the field).",
                    }
                },
            },
            "encoding": {"files": {"contentType": "application/octet-stream"}},
        }
    }
    if with_paths:
        content["application/json"] = {
            "schema": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Paths of files inside the server's --allow-paths folder "
                "(relative to it, or absolute within it).",
            }
        }
    return {"required": True, "content": content}


_COMMON_ERRORS = {
    "400": _problem("The request cannot be used (no files, bad form, path outside the folder)."),
    "401": _problem("A token is set and the request did not carry it."),
    "413": _problem("The upload is larger than --max-upload-mb."),
    "415": _problem("Neither multipart/form-data nor (with --allow-paths) JSON."),
    "421": _problem("The Host header names another server."),
    "503": _problem("Every worker is busy and the queue is full (see Retry-After)."),
}


def openapi(*, with_paths: bool, with_policy: bool, with_token: bool) -> dict[str, Any]:
    """The OpenAPI document for a server with these options."""
    report_ref = {"$ref": f"{REPORT_SCHEMA_URL}#/$defs/report"}
    security: list[dict[str, list[str]]] = [{"bearer": []}] if with_token else []
    verify = {
        "post": {
            "operationId": "verify",
            "summary": "Verify images",
            "description": (
                "Verifies each file and returns one report per file, in order: the objects "
                "of `provenance verify --format json` (always a list here). The verdict is "
                "in the body and the status is 200 whatever the verdict; 4xx only for "
                "requests that cannot be used. `exit_code` carries the CLI's exit code."
            ),
            "security": security,
            "requestBody": _files_body(with_paths),
            "responses": {
                "200": {
                    "description": "One report per file.",
                    "content": {
                        "application/json": {"schema": {"type": "array", "items": report_ref}}
                    },
                },
                **_COMMON_ERRORS,
            },
        }
    }
    check_entry = {
        "type": "object",
        "description": (
            "The keys of a report (" + REPORT_SCHEMA_URL + "#/$defs/report) plus `policy`, "
            "as `provenance check --json` writes them."
        ),
        "required": ["schema", "file", "verdict", "policy"],
        "properties": {
            "policy": {
                "type": "object",
                "required": ["passed", "reasons"],
                "properties": {
                    "passed": {"type": "boolean"},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                },
            }
        },
    }
    check = {
        "post": {
            "operationId": "check",
            "summary": "Verify images and apply the server's policy",
            "description": (
                "Like verify, and each entry carries `policy`: `passed` and the `reasons` it "
                "failed, exactly as `provenance check --json` writes them. 200 whether the "
                "files pass or not."
                + ("" if with_policy else " This server was started without --policy: 409.")
            ),
            "security": security,
            "requestBody": _files_body(with_paths),
            "responses": {
                "200": {
                    "description": "One entry per file.",
                    "content": {
                        "application/json": {"schema": {"type": "array", "items": check_entry}}
                    },
                },
                "409": _problem("The server has no policy (start it with --policy)."),
                **_COMMON_ERRORS,
            },
        }
    }
    health = {
        "get": {
            "operationId": "health",
            "summary": "Is the server up, and how busy is it",
            "security": [],
            "responses": {
                "200": {
                    "description": "Up.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}
                    },
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "provenance verification API",
            "version": __version__,
            "description": (
                "Verify C2PA Content Credentials of photographs: the same verdicts, reports "
                "and policies as the provenance CLI. Errors are RFC 9457 problem details."
            ),
        },
        "paths": {"/api/v1/verify": verify, "/api/v1/check": check, "/api/v1/health": health},
        "components": {
            "schemas": {
                "Problem": problem_schema(),
                "Health": {
                    "type": "object",
                    "required": ["status", "version"],
                    "properties": {
                        "status": {"const": "ok"},
                        "version": {"type": "string"},
                        "workers": {"type": "integer"},
                        "busy": {"type": "integer"},
                        "queued": {"type": "integer"},
                        "queue_limit": {"type": "integer"},
                        "policy": {"type": "boolean"},
                        "paths": {"type": "boolean"},
                    },
                },
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
