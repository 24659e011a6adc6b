// Remote workspaces, client side (docs/server.md "Remote workspaces"): the link a workspace made by
// `glia workspace connect` uses to reach its server — the store over the remote store protocol,
// blobs fetched and uploaded by SHA-256, the live log — and the API token, which is never written
// to disk in clear.
#pragma once

#include <string>

#include "glia/platform/remote_link.hpp"

namespace glia::remote {

/// Installs the connector for remote workspaces (platform::set_remote_connector). Programs that
/// open workspaces (the CLI, a training program using RunLogger) call it once at start.
void enable();

/// The API token for `config`: $GLIA_TOKEN, else what config.token_command prints, else the one
/// `glia workspace connect --token` kept in the kernel keyring. Throws glia::Error
/// (Unauthenticated) saying how to give one when there is none.
std::string resolve_token(const platform::RemoteConfig& config);

/// Keeps `token` in the user's kernel keyring (never on disk) under a name derived from the
/// server and workspace; replaces one kept before. Throws glia::Error (Unavailable) when the
/// keyring cannot be used (then GLIA_TOKEN or a token command are the ways to give it).
void keep_token(const platform::RemoteConfig& config, const std::string& token);
/// Removes a kept token; false when there was none.
bool forget_token(const platform::RemoteConfig& config);

/// The one workspace `token` opens on the server (GET /api/v1/workspaces); glia::Error
/// (InvalidArgument) naming them when it opens several, NotFound when none.
std::string only_workspace(const platform::RemoteConfig& config, const std::string& token);

/// Checks that the server answers and the token opens `config.workspace` there; returns the
/// workspace's description (GET /api/v1/workspaces/{ws}). Throws glia::Error of the failure's
/// kind (Unauthenticated, NotFound, Unavailable, ...).
std::string check_connection(const platform::RemoteConfig& config, const std::string& token);

}  // namespace glia::remote
