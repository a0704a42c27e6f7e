/**
 * Who a peer is, with the JDK's crypto alone: PEM and PKCS12 key material ({@link
 * dev.sluice.security.Pem}, {@link dev.sluice.security.KeyMaterial}), the node a certificate names
 * ({@link dev.sluice.security.NodeIdentity}, the SAN URI {@code sluice:node:<id>}), the reloading
 * TLS context every listener of a node shares ({@link dev.sluice.security.TlsContext}), and a small
 * keytool-driven CA for clusters without their own PKI ({@link dev.sluice.security.ClusterCa},
 * {@link dev.sluice.security.Keytool}, {@link dev.sluice.security.SecureFiles}).
 *
 * <p>Errors about a node's files are {@link dev.sluice.config.SettingsException} lines {@code key =
 * file: why}, raised before any listener binds. The module depends on {@code sluice-config} and the
 * JDK only: the Pekko wiring (Artery's SSL engine provider, TLS stages, HTTPS contexts) lives in
 * the modules that own those listeners.
 */
package dev.sluice.security;
