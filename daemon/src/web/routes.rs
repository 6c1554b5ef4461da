//! The one table of routes: it builds the router and, from the same entries, the
//! OpenAPI document (`GET /api/openapi.json`, see `openapi`), so the document cannot
//! leave out a route the router serves, nor describe one it does not.
//!
//! Each entry says its method, path, who may call it, and what it answers; the handler
//! is registered for exactly that method and path.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, on};

use super::AppState;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Open,
    Proctor,
    Reviewer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Delete => "DELETE",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// One route as the API documents it.
#[derive(Clone, Debug)]
pub struct RouteDoc {
    pub verb: Verb,
    /// axum's form, which is also OpenAPI's: `/api/interviews/{id}`.
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    /// The status of a successful answer.
    pub ok: u16,
    /// Its media type.
    pub produces: &'static str,
    /// Query parameters: name, what it means.
    pub query: &'static [(&'static str, &'static str)],
    /// The JSON body's fields, as a sentence; `None` for no body.
    pub body: Option<&'static str>,
}

impl RouteDoc {
    pub const fn new(
        verb: Verb,
        path: &'static str,
        access: Access,
        summary: &'static str,
    ) -> Self {
        RouteDoc {
            verb,
            path,
            access,
            summary,
            ok: 200,
            produces: "application/json",
            query: &[],
            body: None,
        }
    }

    pub const fn ok(mut self, status: u16) -> Self {
        self.ok = status;
        self
    }

    pub const fn produces(mut self, media_type: &'static str) -> Self {
        self.produces = media_type;
        self
    }

    pub const fn query(mut self, query: &'static [(&'static str, &'static str)]) -> Self {
        self.query = query;
        self
    }

    pub const fn body(mut self, fields: &'static str) -> Self {
        self.body = Some(fields);
        self
    }

    /// The names of the `{param}`s in the path.
    pub fn path_params(&self) -> Vec<&'static str> {
        self.path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect()
    }
}

/// The router being built, and what it serves.
pub struct Routes {
    router: Router<AppState>,
    docs: Vec<RouteDoc>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes {
            router: Router::new(),
            docs: Vec::new(),
        }
    }

    /// Serves `handler` for `doc.verb` on `doc.path`.
    pub fn add<H, T>(mut self, doc: RouteDoc, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(doc.path, on(doc.verb.filter(), handler));
        self.docs.push(doc);
        self
    }

    pub fn docs(&self) -> &[RouteDoc] {
        &self.docs
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteDoc>) {
        (self.router, self.docs)
    }
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}
