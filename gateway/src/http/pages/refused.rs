//! The refusals of the pages under `/ui` as pages: people open them (a link kept in a ticket, a
//! saved address), and a problem+json body, the API's format, in English, tells a person little.
//! The route answers its [`Problem`] as every route does; [`as_page`] then writes it again as a
//! short page in the pages' style, Chinese first and English beside it, with the same status and
//! headers (`Retry-After`, `WWW-Authenticate`) and a link back to the registry. The API's routes
//! keep their JSON.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Page;
use crate::http::problem::Problem;

/// Answers a `/ui` route's problem as a page ([`page_of`]); any other answer as it is.
pub async fn as_page(req: Request, next: Next) -> Response {
    let id = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let res = next.run(req).await;
    let Some(problem) = res.extensions().get::<Problem>().cloned() else {
        return res;
    };
    let (mut parts, _) = res.into_parts();
    let (page, body) = page_of(&problem, &id).into_response().into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(html) = page.headers.get(header::CONTENT_TYPE) {
        parts.headers.insert(header::CONTENT_TYPE, html.clone());
    }
    Response::from_parts(parts, body)
}

/// Where application ids are found, for a person holding none that works.
const WHERE_IDS_ARE: &str = "申请编号可在本地区的待办和已发件列表中找到（GET /v1/regions/{地区}/inbox、/outbox）\
                             / application ids are listed in the region's inbox and outbox \
                             (GET /v1/regions/{region}/inbox, /outbox)";

/// The page of `problem`, answered for application `id` (the path's last segment, quoted only
/// where it is well-formed: anything may be typed into a path, an ID number or a phone too).
pub fn page_of(problem: &Problem, id: &str) -> Page {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let slug = problem
        .kind
        .strip_prefix("urn:tongban:problem:")
        .unwrap_or(&problem.kind);
    let on_id = problem.errors.iter().any(|e| e.pointer == "path:id");
    let pointer = problem.errors.first().map_or("", |e| e.pointer.as_str());
    let (zh, en, said): (&str, &str, String) = match (status, slug) {
        (StatusCode::NOT_FOUND, _) if crate::ids::is_valid(id) => (
            "未找到该申请",
            "Application not found",
            format!(
                "没有编号为 {id} 的申请，或您的凭据不是它的当事地区的（两种情况回答相同）。{WHERE_IDS_ARE} \
                 / no application {id} is known, or your token is not of a region party to it \
                 (both are answered alike)."
            ),
        ),
        (StatusCode::BAD_REQUEST, _) if on_id => (
            "这不是申请编号",
            "Not an application id",
            match crate::ids::is_valid(&id.to_ascii_lowercase()) {
                true => format!(
                    "申请编号是小写的 UUID：请改用 {lower} / application ids are lowercase \
                     UUIDs: use {lower}",
                    lower = id.to_ascii_lowercase()
                ),
                false => format!(
                    "链接的最后一段不是申请编号：申请编号是小写的 UUID（提交申请时返回的 id）。{WHERE_IDS_ARE} \
                     / the link's last segment is no application id: ids are lowercase UUIDs \
                     (the id a submission answers)."
                ),
            },
        ),
        (StatusCode::BAD_REQUEST, _) if pointer == "header:Host" => (
            "请求头 Host 有误",
            "Malformed Host header",
            format!(
                "本页按请求的 Host 头写出网关的完整地址，而它缺失、重复或不是“主机名[:端口]”；\
                 请按网关的地址获取本页 / {}",
                problem.detail
            ),
        ),
        (StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY, _)
            if matches!(pointer, "query:at" | "query:seq") =>
        {
            (
                "查询参数有误",
                "Malformed query",
                format!(
                    "链接的查询参数（?at= 或 ?seq=）不对应该申请的任何状态 / {}",
                    problem.detail
                ),
            )
        }
        (StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY, _) => (
            "请求有误",
            "Malformed request",
            format!("本页不接受这样的请求 / {}", problem.detail),
        ),
        (StatusCode::UNAUTHORIZED, _) => (
            "需要凭据",
            "Authentication required",
            format!(
                "本页只对申请的当事地区和运维人员开放：请用 Authorization: Bearer 头携带令牌获取本页\
                 （浏览器不会自行携带），保存后打开，见 docs/operators.md / {}: fetch the page with \
                 the token in an Authorization: Bearer header (a browser does not send one by \
                 itself) and open the saved file (docs/operators.md)",
                problem.detail
            ),
        ),
        (StatusCode::FORBIDDEN, _) => (
            "无权查看",
            "Not allowed",
            format!("您的凭据无权查看本页 / {}", problem.detail),
        ),
        (StatusCode::TOO_MANY_REQUESTS, _) => (
            "请求过于频繁",
            "Too many requests",
            format!("请按 Retry-After 所示的秒数稍后再试 / {}", problem.detail),
        ),
        (StatusCode::SERVICE_UNAVAILABLE, _) => (
            "事件日志暂时无法读取",
            "The event log cannot be read now",
            format!(
                "网关现在读不到事件日志，什么也没有改变：请稍后（Retry-After 所示的秒数后）再打开本页 / {}",
                problem.detail
            ),
        ),
        (_, "log-corrupt") => (
            "事件日志中的记录已损坏",
            "The event log holds a damaged event",
            format!(
                "事件日志被损坏或在 tongban 之外被改动，本页无法给出该申请的经过；请运维人员用 \
                 tongban verify --app 核查 / {}",
                problem.detail
            ),
        ),
        _ => (
            "出错了",
            problem.title.as_str(),
            format!("本页无法显示 / {}", problem.detail),
        ),
    };
    Page::error(status, zh, en, &said)
}
