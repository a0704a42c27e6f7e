package dev.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Who may talk to a node ({@code sluice.security}): TLS of the listeners, bearer tokens on the
 * client API, optional authentication of the management routes, and whether plaintext listeners may
 * face a network. The reference default is a bare node (TLS off, no tokens) that only listens on
 * loopback; the validator refuses a non-loopback {@code sluice.node.host} with plaintext listeners
 * unless {@code allow-plaintext-on-network} says so.
 *
 * @param tls TLS of the listeners
 * @param api authentication of the client API
 * @param management authentication of the management routes
 * @param allowPlaintextOnNetwork plaintext listeners may bind a non-loopback address
 */
public record SecuritySettings(
    TlsSettings tls, ApiAuth api, ManagementAuth management, boolean allowPlaintextOnNetwork) {

  /** How requests are authenticated. */
  public enum AuthMode implements ConfigEnum {
    /** Every request is served; an {@code Authorization} header is ignored. */
    NONE,
    /** Requests carry a bearer token listed (hashed) in the tokens file. */
    TOKENS
  }

  /**
   * Authentication of the client API ({@code sluice.security.api}).
   *
   * @param auth none or tokens
   * @param tokensFile the hashed tokens; required with tokens
   * @param tokensReloadInterval how often the file is checked for changes
   */
  public record ApiAuth(AuthMode auth, Optional<Path> tokensFile, Duration tokensReloadInterval) {}

  /**
   * Authentication of the management routes ({@code sluice.security.management}): HTTP Basic, whose
   * password is a token with the {@code admin} permission from the API's tokens file.
   *
   * @param auth none or tokens
   */
  public record ManagementAuth(AuthMode auth) {}

  /** The reference default: TLS off, no tokens, plaintext only on loopback. */
  public static SecuritySettings none() {
    return new SecuritySettings(
        TlsSettings.disabled(),
        new ApiAuth(AuthMode.NONE, Optional.empty(), Duration.ofSeconds(10)),
        new ManagementAuth(AuthMode.NONE),
        false);
  }
}
