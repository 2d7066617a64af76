// The server's own routes, in a module of their own so that the public LocalServer module can name them without
// loading the request log (and with it the Node HTTP server).

/** The reserved prefix of the server's own routes, off the API's paths. @internal */
export const PREFIX = "/_local/"

/** @internal */
export const REQUESTS_PATH = "/_local/requests"
