//! The one table of routes: it builds the router and, from the same entries, the
//! OpenAPI document (`GET /api/openapi.json`, see `openapi`), so the document cannot
//! leave out a route the router serves, nor describe one it does not.
//!
//! Each entry is who may call the route and `routes!(handler)`: utoipa-axum reads the
//! method and path from the handler's `#[utoipa::path]` attribute, registers the handler
//! for exactly that method and path, and hands over the operation the attribute
//! describes (parameters, request body, responses, with the schemas of their types).
//! The entry's role then adds what every route of that role answers (401, 403) and the
//! security requirement.

use axum::Router;
use axum::http::Method;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Operation, PathItem, Paths};
use utoipa::openapi::schema::Schema;
use utoipa_axum::router::UtoipaMethodRouter;

use super::AppState;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Open,
    Proctor,
    Reviewer,
}

impl Access {
    /// As the document's `x-proctord-role` says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Open => "open",
            Access::Proctor => "proctor",
            Access::Reviewer => "reviewer",
        }
    }
}

/// One route the router serves.
#[derive(Clone, Debug)]
pub struct RouteDoc {
    pub method: Method,
    /// axum's form, which is also OpenAPI's: `/api/interviews/{id}`.
    pub path: String,
    pub access: Access,
}

/// The router being built, and what it serves.
pub struct Routes {
    router: Router<AppState>,
    docs: Vec<RouteDoc>,
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes {
            router: Router::new(),
            docs: Vec::new(),
            paths: Paths::new(),
            schemas: Vec::new(),
        }
    }

    /// Serves the handler of `route` (`routes!(handler)`) for `access`.
    pub fn add(mut self, access: Access, route: UtoipaMethodRouter<AppState>) -> Routes {
        let (schemas, mut paths, method_router) = route;
        let mut entries = paths.paths.iter_mut();
        let (Some((path, item)), None) = (entries.next(), entries.next()) else {
            panic!("a route table entry is one handler with one path");
        };
        for (method, operation) in operations(item) {
            operation.operation_id = Some(operation_id(&method, path));
            super::openapi::for_access(operation, access);
            self.docs.push(RouteDoc {
                method,
                path: path.clone(),
                access,
            });
        }
        self.router = self.router.route(path, method_router);
        self.paths.merge(paths);
        self.schemas.extend(schemas);
        self
    }

    pub fn docs(&self) -> &[RouteDoc] {
        &self.docs
    }

    /// The operations, by path, and the schemas of the types they name.
    pub fn paths(&self) -> (&Paths, &[(String, RefOr<Schema>)]) {
        (&self.paths, &self.schemas)
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

/// Unique by construction (utoipa's default, the handler's name, is not: `list`).
fn operation_id(method: &Method, path: &str) -> String {
    let mut id = method.as_str().to_ascii_lowercase();
    for word in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !word.is_empty() {
            id.push('_');
            id.push_str(word);
        }
    }
    id
}

/// The operations of `item`, with their methods.
fn operations(item: &mut PathItem) -> Vec<(Method, &mut Operation)> {
    [
        (Method::GET, item.get.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
        (Method::OPTIONS, item.options.as_mut()),
        (Method::HEAD, item.head.as_mut()),
        (Method::PATCH, item.patch.as_mut()),
        (Method::TRACE, item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation?)))
    .collect()
}
