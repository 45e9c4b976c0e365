"""GraphiQL served by Kehu itself, so it works offline and behind locked-down networks.

The React, GraphiQL, graphql-ws and explorer-plugin bundles come from the
`graphene-django-graphiql-static` wheel (installed with Kehu, BSD licensed, no dependencies of
its own); only its static files are read, never its Django code. Nothing is fetched from a CDN
and no third-party code lives in this repository. The page adds a login field whose token
fills the Authorization header (the header editor shows it) and the explorer plugin.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

ASSET_PACKAGE = "graphene_django_graphiql_static"
ASSET_PREFIX = "/graphiql/assets"
# The only files served: a fixed list, so the route cannot be walked to other files.
ASSETS = (
    "graphiql.min.css",
    "style.css",
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",
    "graphiql-plugin-explorer.umd.js",
)


class AssetsMissing(RuntimeError):
    """The GraphiQL asset package is not installed (reinstall Kehu: pip install -e .)."""


@cache
def asset_dir() -> Path:
    # find_spec locates the package without running it (it is a Django app).
    spec = importlib.util.find_spec(ASSET_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AssetsMissing(f"{ASSET_PACKAGE} is not installed; reinstall Kehu (pip install .)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "static" / ASSET_PACKAGE
    missing = [name for name in ASSETS if not (folder / name).is_file()]
    if missing:
        raise AssetsMissing(f"{ASSET_PACKAGE} lacks {', '.join(missing)} in {folder}")
    return folder


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return PlainTextResponse("not found", status_code=404)
    # Immutable for a day: the files change only when the package is upgraded.
    return FileResponse(asset_dir() / name, headers={"cache-control": "public, max-age=86400"})


ROUTES = [Route(ASSET_PREFIX + "/{name}", asset)]

_SCRIPT = """
const tokenField = document.getElementById('kehu-token');
tokenField.value = localStorage.getItem('kehu:token') || '';
function authHeaders() {
  const token = tokenField.value.trim();
  return token ? {Authorization: 'Bearer ' + token} : {};
}
const wsUrl = location.origin.replace(/^http/, 'ws') + '/graphql';
// A fetcher per call, so a token entered later is used without reloading the page.
function fetcher(params, options) {
  const headers = authHeaders();
  return GraphiQL.createFetcher({url: '/graphql', headers: headers, subscriptionUrl: wsUrl,
                                 wsConnectionParams: headers})(params, options);
}
const initialQuery = new URLSearchParams(location.hash.slice(1)).get('query') ||
  '# Enter a token above, then run a query, for example:\\n{ verifyAuditLog { ok checked } }\\n';
let generation = 0;
function Kehu() {
  const [query, setQuery] = React.useState(initialQuery);
  const explorer = GraphiQLPluginExplorer.useExplorerPlugin({query: query, onEdit: setQuery});
  return React.createElement(GraphiQL, {
    fetcher: fetcher, query: query, onEditQuery: setQuery, plugins: [explorer],
    headers: JSON.stringify(authHeaders(), null, 2), shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'headers',
  });
}
function render() {
  // A new key remounts GraphiQL so its header editor shows the new token.
  generation += 1;
  ReactDOM.render(React.createElement(Kehu, {key: generation}),
                  document.getElementById('graphiql'));
}
document.getElementById('kehu-login').addEventListener('submit', function (event) {
  event.preventDefault();
  localStorage.setItem('kehu:token', tokenField.value.trim());
  render();
});
render();
"""


def page() -> str:
    asset_dir()  # fail at start-up, not on the first browser visit, if the package is missing
    links = "\n".join(
        f'<link rel="stylesheet" href="{ASSET_PREFIX}/{name}">' if name.endswith(".css")
        else f'<script src="{ASSET_PREFIX}/{name}"></script>'
        for name in ASSETS
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Kehu GraphiQL</title>
{links}
<style>
  html, body {{ height: 100%; margin: 0; }}
  body {{ display: flex; flex-direction: column; font-family: system-ui, sans-serif; }}
  #kehu-login {{ display: flex; gap: 8px; align-items: center; padding: 6px 12px;
                 border-bottom: 1px solid #ddd; }}
  #kehu-token {{ flex: 1; font-family: monospace; }}
  #graphiql {{ flex: 1; min-height: 0; }}
</style>
</head>
<body>
<form id="kehu-login">
  <label for="kehu-token">Token (kehu token --user ID --role ROLE):</label>
  <input id="kehu-token" name="token" autocomplete="off" placeholder="eyJ...">
  <button id="kehu-login-button" type="submit">Use token</button>
</form>
<div id="graphiql">Loading GraphiQL...</div>
<script>{_SCRIPT}</script>
</body>
</html>
"""
