// Maps a reader's request to the object it is published as (statuspage/publish/layout.py),
// for a CDN in front of a bucket that PUBLISH_TARGETS=s3://bucket/prefix writes to. A bucket
// (through its REST endpoint) only finds exact keys: `/` must become `index.html`, `/history`
// `history/index.html` and `/history?page=2` `history/index@page=2.html`.
//
// As written it is a CloudFront Function (viewer request, runtime cloudfront-js-2.0): the
// distribution's origin is the bucket, with the prefix as the origin path. `publishedKey` is
// plain JavaScript and serves the same purpose in a Cloudflare Worker or Fastly Compute.
// Tested by tests/publish/test_cdn_function.py against the publisher's own layout, for every
// document a publish writes.

// The query parameters the page's own links use; any other (`utm_source`, a cache buster) is
// dropped, so such a link gets the document without it, as deploy/nginx-published.conf does.
var PUBLISHED_PARAMS = ["page", "from", "component", "theme", "id"];
// What a published query may hold (layout.QUERY): nothing else reaches the bucket.
var PUBLISHED_QUERY = /^[A-Za-z0-9=&_.-]{1,200}$/;

// `/` has two forms at the origin (statuspage/public/negotiation.py), both published:
// Markdown (index.md) for clients that ask for it and for terminals that name neither form,
// HTML otherwise. As the app, except that q-values are not weighed (Markdown named before
// HTML wins); deploy/nginx-failover.conf picks the same way.
function wantsMarkdown(accept, agent) {
    if (/^(?:(?!text\/html).)*text\/markdown/i.test(accept)) {
        return true;
    }
    if (/text\/html/i.test(accept)) {
        return false;
    }
    var any = accept === "" || /\*\/\*|text\/\*/.test(accept);
    return any && /^\s*(?:curl|wget2?|httpie|xh)\//i.test(agent);
}

// `uri` as the reader sent it (starting with `/`), `params` a list of [name, value] in the
// order of the request (the order the page's links use: `page=2&from=25`), `accept` and
// `agent` its Accept and User-Agent headers ("" when absent).
function publishedKey(uri, params, accept, agent) {
    var path = uri;
    var last = uri.substring(uri.lastIndexOf("/") + 1);
    if (uri === "/" && wantsMarkdown(accept, agent)) {
        return "/index.md";
    }
    if (last === "") {
        path = uri + "index.html";
    } else if (last.indexOf(".") === -1) {
        path = uri + "/index.html";
    }
    var kept = [];
    for (var i = 0; i < params.length; i++) {
        if (PUBLISHED_PARAMS.indexOf(params[i][0]) !== -1) {
            kept.push(params[i][0] + "=" + params[i][1]);
        }
    }
    var query = kept.join("&");
    if (query !== "" && PUBLISHED_QUERY.test(query)) {
        var dot = path.lastIndexOf(".");
        path = path.substring(0, dot) + "@" + query + path.substring(dot);
    }
    return path;
}

function handler(event) {
    var request = event.request;
    var params = [];
    for (var name in request.querystring) {
        params.push([name, request.querystring[name].value]);
    }
    var accept = request.headers.accept ? request.headers.accept.value : "";
    var agent = request.headers["user-agent"] ? request.headers["user-agent"].value : "";
    request.uri = publishedKey(request.uri, params, accept, agent);
    // The key says it all; the bucket is asked for the object alone.
    request.querystring = {};
    return request;
}
