//! `GET /api/openapi.json`: an OpenAPI 3.1 description of every route, made from the
//! route table that builds the router (see `routes`). Hand-maintained summaries next to
//! each route rather than generated from the handlers' types: utoipa's derive macros
//! would add minutes of compile time on the kiosk's two cores for the same list.

use std::sync::LazyLock;

use axum::Json;
use serde_json::{Map, Value, json};

use super::auth::Proctor;
use super::routes::{Access, RouteDoc};

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| document(super::routes_table().docs()));

pub async fn openapi(_: Proctor) -> Json<Value> {
    Json(DOCUMENT.clone())
}

/// The document for `routes`.
pub fn document(routes: &[RouteDoc]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let item = paths
            .entry(route.path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[route.verb.as_str().to_ascii_lowercase()] = operation(route);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "proctord kiosk API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The exam kiosk's status page API. Every route with candidate data needs a login cookie (POST /api/login) or `Authorization: Bearer <token>`; errors are {\"error\": \"what to do\"}.",
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "login": { "type": "apiKey", "in": "cookie", "name": "proctord_session" },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": { "type": "string", "description": "What went wrong and what to do." } },
                },
            },
        },
        "paths": paths,
    })
}

fn operation(route: &RouteDoc) -> Value {
    let mut parameters: Vec<Value> = route
        .path_params()
        .into_iter()
        .map(|name| {
            json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } })
        })
        .collect();
    parameters.extend(route.query.iter().map(|(name, what)| {
        json!({ "name": name, "in": "query", "required": false, "description": what, "schema": { "type": "string" } })
    }));
    let error = json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut responses = Map::new();
    let mut ok_content = json!({ "description": if route.ok == 204 { "done" } else { "success" } });
    if route.ok != 204 {
        let mut content = Map::new();
        content.insert(route.produces.to_owned(), json!({}));
        ok_content["content"] = Value::Object(content);
    }
    responses.insert(route.ok.to_string(), ok_content);
    responses.insert(
        "default".into(),
        json!({ "description": "an error, saying what to do", "content": error["content"] }),
    );
    let role = match route.access {
        Access::Open => "open to anyone",
        Access::Proctor => "needs the proctor (or reviewer) role",
        Access::Reviewer => "needs the reviewer role",
    };
    let mut op = json!({
        "summary": route.summary,
        "description": format!("{}; {role}.", route.summary),
        "parameters": parameters,
        "responses": responses,
        "x-proctord-role": match route.access {
            Access::Open => "open",
            Access::Proctor => "proctor",
            Access::Reviewer => "reviewer",
        },
    });
    if route.access != Access::Open {
        op["security"] = json!([{ "bearer": [] }, { "login": [] }]);
    }
    if let Some(fields) = route.body {
        op["requestBody"] = json!({
            "required": true,
            "description": fields,
            "content": { "application/json": { "schema": { "type": "object" } } },
        });
    }
    op
}
