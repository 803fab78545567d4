// jxc: GraphiQL from our own server (no CDN). GraphiQL 3 sends the Headers pane with every request,
// and puts it into the WebSocket connection_init payload of subscriptions, so one
// {"Authorization": "Bearer jxc_…"} serves queries, mutations and subscriptions alike.
(function () {
  "use strict";
  var url = window.location.origin + "/graphql";
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: url.replace(/^http/, "ws") });
  var intro = [
    "# jxc GraphQL",
    "# 1. 登录 / Sign in (run this, copy the token):",
    "# 2. 把令牌放进下方 Headers / put the token into the Headers pane below:",
    '#      {"Authorization": "Bearer jxc_…"}',
    "# 3. 重新获取 schema（左侧 ⟳）/ re-fetch the schema (⟳ on the left): introspection needs a signed-in caller",
    "",
    'mutation { login(username: "admin", password: "…") { token expiresAt errors { code message } } }',
    "",
  ].join("\n");
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: intro,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    })
  );
})();
