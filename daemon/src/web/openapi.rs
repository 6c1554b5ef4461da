//! `GET /api/openapi.json`: an OpenAPI 3.1 description of every route, made from the
//! route table that builds the router (see `routes`) and generated from the handlers'
//! types with utoipa: each handler's `#[utoipa::path]` names its parameters, request
//! body and answers, and `#[derive(ToSchema)]` on the types it takes and returns gives
//! their schemas (serde's renames and optional fields included; `BBox` and `MqttHealth`,
//! whose serde form the derive cannot see, have theirs by hand). The route table adds
//! each route's role: the security requirement, `x-proctord-role`, and the 401/403/429
//! every route with a role may answer. Tests (`tests/web_review.rs`) check the roles
//! against the handlers and real answers of the router against their schemas.
//!
//! Compile cost, measured with `cargo build -p proctord --timings` on the two-core build
//! machine shared with other builds (load average about 7, so a few seconds either way),
//! before and after utoipa back to back, twice: the proctord library built from clean
//! took 97 and 95 s before, 106 and 99 s after (front end, where the macros expand,
//! +2 to 3 s; code generation the rest); an incremental rebuild after touching one file
//! 15.4 s before, 16.6 s after. utoipa-gen, utoipa, utoipa-axum and paste take about 95 s
//! to build once (utoipa-gen 71 s); utoipa turns on indexmap's `serde` feature, so a
//! warm target directory also rebuilds indexmap's dependents (toml, printpdf) once.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::Json;
use serde_json::Value;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Required,
};
use utoipa::{IntoParams, IntoResponses, PartialSchema, ToSchema};

use super::auth::Proctor;
use super::error::ErrorBody;
use super::routes::{Access, Routes};

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_json::to_value(document(&super::routes_table()))
        .expect("the OpenAPI document always serialises")
});

#[utoipa::path(
    get,
    path = "/api/openapi.json",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document of every route", body = Object)),
)]
pub async fn openapi(_: Proctor) -> Json<Value> {
    Json(DOCUMENT.clone())
}

/// A body of bytes (a video, an image, a PDF), described by its media type alone.
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// `{id}`: the session a route is about.
pub struct SessionId;

impl IntoParams for SessionId {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let uuid = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        vec![
            ParameterBuilder::new()
                .name("id")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("The session's id"))
                .schema(Some(uuid))
                .build(),
        ]
    }
}

/// What a route about one session answers when there is no such session.
pub struct UnknownSession;

impl IntoResponses for UnknownSession {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([
            ("400".into(), error_response("The id is not a UUID")),
            ("404".into(), error_response("No such session")),
        ])
    }
}

/// The document for the routes of `routes`.
pub fn document(routes: &Routes) -> OpenApi {
    let (paths, schemas) = routes.paths();
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas.iter().cloned())
        .schema(ErrorBody::name(), ErrorBody::schema())
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token of [[web.tokens]] (or [web] api_token) in proctord.toml",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            "login",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::auth::cookie::NAME,
                "The login cookie POST /api/login sets",
            ))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("proctord kiosk API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The exam kiosk's status page API. Every route with candidate data needs a login cookie (POST /api/login) or `Authorization: Bearer <token>`, with the role its `x-proctord-role` names (a reviewer may do everything a proctor may); errors are {\"error\": \"what to do\"}.",
                )),
        )
        .paths(paths.clone())
        .components(Some(components))
        .build()
}

/// What `access` adds to a route's operation: its role, the credentials it takes and the
/// refusals they may bring; and the answers every JSON body and every route may bring.
pub(super) fn for_access(operation: &mut Operation, access: Access) {
    let role = match access {
        Access::Open => "Open to anyone.",
        Access::Proctor => "Needs the proctor (or reviewer) role.",
        Access::Reviewer => "Needs the reviewer role.",
    };
    operation.description = Some(match operation.description.take() {
        Some(description) => format!("{description}\n\n{role}"),
        None => role.to_owned(),
    });
    operation.extensions = Some(
        ExtensionsBuilder::new()
            .add("x-proctord-role", access.as_str())
            .build(),
    );
    let mut answers: Vec<(&str, &str)> = Vec::new();
    if access != Access::Open {
        operation.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("login", Vec::<String>::new()),
        ]);
        answers.extend([
            (
                "401",
                "No credentials, a wrong bearer token, or a login that has ended",
            ),
            (
                "403",
                "The wrong role, a cross-site request with the login cookie, or no account configured on the kiosk",
            ),
            (
                "429",
                "Too many wrong bearer tokens from this computer (Retry-After says how long to wait)",
            ),
        ]);
    }
    if operation.request_body.is_some() {
        answers.extend([
            ("400", "The body is not valid JSON"),
            ("413", "The body is larger than 64 KiB"),
            (
                "415",
                "The body is not sent as JSON (Content-Type: application/json)",
            ),
            (
                "422",
                "The JSON does not have the expected fields, or their values are invalid",
            ),
        ]);
    }
    answers.push((
        "default",
        "The kiosk's own trouble (5xx), saying what to do",
    ));
    for (status, description) in answers {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description));
    }
}

/// An answer with the error body.
pub(super) fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build(),
        )
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_error_answer_has_the_error_body() {
        let doc = serde_json::to_value(document(&crate::web::routes_table())).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["schemas"]["Error"]["required"],
            json!(["error"])
        );
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, answer) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') || status == "default" {
                        assert_eq!(
                            answer["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/Error",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
    }
}
