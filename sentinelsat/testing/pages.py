"""HTML pages of the server: Tomcat error reports and the maintenance page."""

from __future__ import annotations

import html

from .content import read_data_bytes

_TOMCAT_STYLE = (
    "h1 {font-family:Tahoma,Arial,sans-serif;color:white;background-color:#525D76;font-size:22px;} "
    "h2 {font-family:Tahoma,Arial,sans-serif;color:white;background-color:#525D76;font-size:16px;} "
    "h3 {font-family:Tahoma,Arial,sans-serif;color:white;background-color:#525D76;font-size:14px;} "
    "body {font-family:Tahoma,Arial,sans-serif;color:black;background-color:white;} "
    "b {font-family:Tahoma,Arial,sans-serif;color:white;background-color:#525D76;} "
    "p {font-family:Tahoma,Arial,sans-serif;background:white;color:black;font-size:12px;} "
    "a {color:black;} a.name {color:black;} .line {height:1px;background-color:#525D76;border:none;}"
)
SOLR_413_CAUSE = (
    "RemoteSolrException : Error from server at http://dep-sci-solr-vip.dhus.local/solr/dhus: "
    "non ok status: 413, message:Request Entity Too Large"
)


def _tomcat_page(status: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><title>HTTP Status {status}</title>'
        f'<style type="text/css">{_TOMCAT_STYLE}</style></head><body><h1>HTTP Status {status}</h1>'
        f'<hr class="line" />{body}<hr class="line" /><h3>Apache Tomcat/8.5.42</h3></body></html>'
    ).encode()


def unauthorized_page() -> bytes:
    """The Tomcat 401 page."""
    return _tomcat_page(
        "401 – Unauthorized",
        "<p><b>Type</b> Status Report</p><p><b>Message</b> Unauthorized</p><p><b>Description</b> "
        "The request has not been applied because it lacks valid authentication credentials for "
        "the target resource.</p>",
    )


def exception_page(message: str, exception: str) -> bytes:
    """A Tomcat 500 exception report for ``message`` with a short stack trace."""
    escaped = html.escape(message, quote=False).replace("/", "&#47;")
    trace = html.escape(exception, quote=False).replace("/", "&#47;")
    return _tomcat_page(
        "500 – Internal Server Error",
        f"<p><b>Type</b> Exception Report</p><p><b>Message</b> {escaped}</p><p><b>Description</b> "
        "The server encountered an unexpected condition that prevented it from fulfilling the "
        f"request.</p><p><b>Exception</b></p><pre>{trace}\n"
        "\torg.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)\n"
        "\tjavax.servlet.http.HttpServlet.service(HttpServlet.java:741)\n"
        "\tfr.gael.dhus.spring.CacheControlFilter.doFilter(CacheControlFilter.java:47)\n"
        "</pre><p><b>Note</b> The full stack trace of the root cause is available in the server logs.</p>",
    )


def too_long_query_page() -> bytes:
    """The 500 page the server answered for a query too long for its Solr backend."""
    message = (
        "Request processing failed; nested exception is org.apache.solr.client.solrj.impl."
        "HttpSolrClient$RemoteSolrException: Error from server at "
        "http://dep-sci-solr-vip.dhus.local/solr/dhus: non ok status: 413, message:Request Entity Too Large"
    )
    return exception_page(
        message, "org.springframework.web.util.NestedServletException: " + message
    )


def internal_error_page() -> bytes:
    """A generic 500 page (the ``error_rate`` fault)."""
    message = "Request processing failed; nested exception is java.lang.IllegalStateException: simulated failure"
    return exception_page(
        message, "org.springframework.web.util.NestedServletException: " + message
    )


def not_found_page() -> bytes:
    """The page of an unknown path."""
    return (
        b"PAGE NOT FOUND\nOops, something went wrong. The page you were trying to access is "
        b"(temporarily) unavailable.\n"
    )


def maintenance_page() -> bytes:
    """The real 'will be back soon' maintenance page of the Copernicus hub."""
    return read_data_bytes("server_maintenance.html")
