package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class AuthTest {

  @Test
  void constantsAreTheWireNames() {
    assertEquals("Authorization", Auth.AUTHORIZATION);
    assertEquals("WWW-Authenticate", Auth.WWW_AUTHENTICATE);
    assertEquals("Bearer", Auth.BEARER);
    assertEquals("sluice", Auth.REALM);
    assertEquals("SLUICE_TOKEN", Auth.TOKEN_ENV);
    assertEquals("sluice_", Auth.TOKEN_PREFIX);
  }

  @Test
  void aTokenIsThePrefixAnd43Base64UrlCharacters() {
    String token = Auth.newToken();
    assertTrue(token.matches("sluice_[A-Za-z0-9_-]{43}"), token);
    assertNotEquals(token, Auth.newToken());
  }

  @Test
  void theHashIsSha256InLowerCaseHex() {
    // echo -n abc | sha256sum
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Auth.sha256Hex("abc"));
  }

  @Test
  void bearerTokenIsReadFromTheHeaderOnly() {
    assertEquals(Optional.of("sluice_x"), Auth.bearerToken("Bearer sluice_x"));
    assertEquals(Optional.of("sluice_x"), Auth.bearerToken("bearer   sluice_x "));
    assertEquals("Bearer sluice_x", Auth.authorization("sluice_x"));
    assertEquals(Optional.empty(), Auth.bearerToken(null));
    assertEquals(Optional.empty(), Auth.bearerToken("Bearer"));
    assertEquals(Optional.empty(), Auth.bearerToken("Bearer  "));
    assertEquals(Optional.empty(), Auth.bearerToken("Bearer a b"));
    assertEquals(Optional.empty(), Auth.bearerToken("Basic dXNlcjpwYXNz"));
    assertEquals(Optional.empty(), Auth.bearerToken("Bearersluice_x"));
    assertEquals("basic", Auth.scheme("Basic dXNlcjpwYXNz"));
    assertEquals("token", Auth.scheme("Token"));
  }
}
