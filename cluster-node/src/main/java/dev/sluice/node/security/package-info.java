/**
 * How a node protects its listeners: {@link dev.sluice.node.security.NodeTls} loads the node's key
 * material once and feeds every TLS listener (Artery through {@link
 * dev.sluice.node.security.ArterySslEngineProvider}, replication, the client API, management);
 * {@link dev.sluice.node.security.H2Journal} keeps the H2 journal server on loopback and behind a
 * password. Bearer tokens live in {@code dev.sluice.node.auth}.
 */
package dev.sluice.node.security;
