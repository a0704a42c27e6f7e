/**
 * Who may call a node: bearer tokens and their permissions ({@code sluice.security.api.auth =
 * tokens}).
 *
 * <p>The tokens file and the permission syntax are the {@code api} module's ({@link
 * dev.sluice.api.TokenFile}, {@link dev.sluice.api.Permission}), so that the CLI writes what the
 * node reads. Here, {@link dev.sluice.node.auth.TokenStore} keeps the tokens in force and re-reads
 * the file when it changes, {@link dev.sluice.node.auth.Tokens} looks a presented token up by its
 * hash, {@link dev.sluice.node.auth.Authorizer} guards the client API's routes (401 and 403) and
 * {@link dev.sluice.node.auth.ManagementAuth} the management port (HTTP Basic with an admin token).
 *
 * <p>A token is checked on the node that receives the request, before any body is read and before
 * any redirect; with {@code auth = none} nothing is checked.
 */
package dev.sluice.node.auth;
