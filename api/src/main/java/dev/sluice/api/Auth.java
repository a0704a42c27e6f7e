package dev.sluice.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Bearer tokens of the client API: the header that carries them, the challenge a node answers
 * without one, and the token itself.
 *
 * <p>A token is {@value #TOKEN_PREFIX} followed by {@value #TOKEN_BYTES} random bytes from {@link
 * SecureRandom} as unpadded base64url (43 characters). A node stores only its SHA-256 ({@link
 * #sha256Hex}): the token has 256 bits of entropy, so a fast hash is enough where a password would
 * need a slow one. The prefix makes a leaked token easy to recognise in logs and scanners.
 *
 * <p>Thread-safety: stateless; {@link SecureRandom} and {@link MessageDigest} instances are never
 * shared.
 */
public final class Auth {
  /** The request header that carries the token. */
  public static final String AUTHORIZATION = "Authorization";

  /** The response header of a 401, naming the scheme and realm. */
  public static final String WWW_AUTHENTICATE = "WWW-Authenticate";

  /** The authentication scheme, as in {@code Authorization: Bearer <token>} (RFC 6750). */
  public static final String BEARER = "Bearer";

  /** The realm a node names in its challenge. */
  public static final String REALM = "sluice";

  /** The environment variable the CLI reads a token from. */
  public static final String TOKEN_ENV = "SLUICE_TOKEN";

  /** How every token begins. */
  public static final String TOKEN_PREFIX = "sluice_";

  /** Random bytes in a token. */
  public static final int TOKEN_BYTES = 32;

  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private Auth() {}

  /** A new token from a fresh {@link SecureRandom}. Print it once; store {@link #sha256Hex}. */
  public static String newToken() {
    return newToken(new SecureRandom());
  }

  /** A new token from {@code random}. */
  public static String newToken(SecureRandom random) {
    byte[] bytes = new byte[TOKEN_BYTES];
    random.nextBytes(bytes);
    return TOKEN_PREFIX + BASE64URL.encodeToString(bytes);
  }

  /** The SHA-256 of the token's UTF-8 bytes as 64 lower-case hex digits: what a node stores. */
  public static String sha256Hex(String token) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The {@value #AUTHORIZATION} header value for {@code token}. */
  public static String authorization(String token) {
    return BEARER + " " + token;
  }

  /**
   * The token of an {@value #AUTHORIZATION} header value, when the header uses the {@value #BEARER}
   * scheme (case-insensitive, as RFC 7235 says of schemes) and carries a non-empty token.
   */
  public static Optional<String> bearerToken(String authorization) {
    if (authorization == null) {
      return Optional.empty();
    }
    String value = authorization.strip();
    int space = value.indexOf(' ');
    if (space < 0 || !value.substring(0, space).equalsIgnoreCase(BEARER)) {
      return Optional.empty();
    }
    String token = value.substring(space + 1).strip();
    return token.isEmpty() || token.indexOf(' ') >= 0 ? Optional.empty() : Optional.of(token);
  }

  /**
   * The scheme an {@value #AUTHORIZATION} header value names (its first word, lower-cased), for
   * messages that say which scheme was sent instead of {@value #BEARER}.
   */
  public static String scheme(String authorization) {
    String value = authorization == null ? "" : authorization.strip();
    int space = value.indexOf(' ');
    return (space < 0 ? value : value.substring(0, space)).toLowerCase(Locale.ROOT);
  }
}
