from wagtail import hooks

from home import page_cache


@hooks.register("before_serve_page")
def allow_page_cache(page, request, serve_args, serve_kwargs):
    """Let the anonymous page cache store what Wagtail's page view answers (home.page_cache), and
    tell the templates which CMS page this is (the editors' userbar shows only there)."""
    page_cache.mark_cacheable(request, page)
    request.cms_page = page
