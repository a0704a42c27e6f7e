package dev.sluice.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes PEM with the JDK alone: X.509 certificate bundles and unencrypted PKCS#8 private
 * keys (RSA, EC, Ed25519/Ed448). Other key forms are refused with the openssl command that converts
 * them, because the JDK cannot read PKCS#1 ({@code BEGIN RSA PRIVATE KEY}), SEC1 ({@code BEGIN EC
 * PRIVATE KEY}) or encrypted PKCS#8 without a third-party library.
 *
 * <p>Every error is a {@link KeyMaterialException} naming the file. Stateless; thread-safe.
 */
public final class Pem {
  /** The openssl command that turns any private key PEM into the form this class reads. */
  public static final String CONVERT_HINT =
      "convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem";

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "EdDSA", "RSASSA-PSS");

  private Pem() {}

  /**
   * The certificates of a PEM file, in file order (for a chain: the leaf first).
   *
   * @throws KeyMaterialException when the file is unreadable, holds no certificate, or a block is
   *     not a certificate
   */
  public static List<X509Certificate> certificates(Path file) throws KeyMaterialException {
    String text = read(file);
    List<X509Certificate> certs = new ArrayList<>();
    int index = 0;
    for (Block block : blocks(text)) {
      index++;
      if (!block.label().equals("CERTIFICATE")) {
        continue;
      }
      byte[] der = decode(file, block, index);
      try {
        certs.add(
            (X509Certificate)
                CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der)));
      } catch (CertificateException e) {
        throw new KeyMaterialException(
            file, "PEM block " + index + " is not an X.509 certificate (" + e.getMessage() + ")");
      }
    }
    if (certs.isEmpty()) {
      String found = labels(text);
      throw new KeyMaterialException(
          file,
          "no certificate (expected -----BEGIN CERTIFICATE-----"
              + (found.isEmpty() ? "; the file holds no PEM block)" : "; found " + found + ")"));
    }
    return List.copyOf(certs);
  }

  /**
   * The one private key of a PEM file, unencrypted PKCS#8.
   *
   * @throws KeyMaterialException when the file is unreadable, holds no key or several, or holds a
   *     key form the JDK cannot read
   */
  public static PrivateKey privateKey(Path file) throws KeyMaterialException {
    String text = read(file);
    List<byte[]> keys = new ArrayList<>();
    int index = 0;
    for (Block block : blocks(text)) {
      index++;
      switch (block.label()) {
        case "PRIVATE KEY" -> keys.add(decode(file, block, index));
        case "RSA PRIVATE KEY" ->
            throw new KeyMaterialException(
                file, "a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY) is not supported; " + CONVERT_HINT);
        case "EC PRIVATE KEY" ->
            throw new KeyMaterialException(
                file, "a SEC1 EC key (BEGIN EC PRIVATE KEY) is not supported; " + CONVERT_HINT);
        case "ENCRYPTED PRIVATE KEY" ->
            throw new KeyMaterialException(
                file,
                "an encrypted PKCS#8 key (BEGIN ENCRYPTED PRIVATE KEY) is not supported; the"
                    + " file must be readable by the node only (mode 0600); "
                    + CONVERT_HINT);
        default -> {
          // certificates and parameters beside the key are allowed
        }
      }
    }
    if (keys.isEmpty()) {
      String found = labels(text);
      throw new KeyMaterialException(
          file,
          "no private key (expected -----BEGIN PRIVATE KEY-----"
              + (found.isEmpty() ? "; the file holds no PEM block)" : "; found " + found + ")"));
    }
    if (keys.size() > 1) {
      throw new KeyMaterialException(
          file, "holds " + keys.size() + " private keys; expected exactly one");
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(keys.get(0));
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (java.security.GeneralSecurityException | RuntimeException e) {
        // not this algorithm: try the next one
      }
    }
    throw new KeyMaterialException(
        file, "the PKCS#8 key is neither RSA, EC nor EdDSA, or its encoding is broken");
  }

  /** PEM text of certificates, in the given order. */
  public static String encode(List<X509Certificate> certificates) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certificates) {
      try {
        sb.append(armour("CERTIFICATE", c.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IllegalArgumentException("cannot encode " + c.getSubjectX500Principal(), e);
      }
    }
    return sb.toString();
  }

  /** PEM text of an unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY}). */
  public static String encode(PrivateKey key) {
    if (!"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException(
          "a " + key.getAlgorithm() + " key in " + key.getFormat() + " is not PKCS#8");
    }
    return armour("PRIVATE KEY", key.getEncoded());
  }

  private static String armour(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  static String read(Path file) throws KeyMaterialException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new KeyMaterialException(file, "no such file");
    } catch (AccessDeniedException e) {
      throw new KeyMaterialException(file, "permission denied");
    } catch (java.nio.charset.MalformedInputException e) {
      throw new KeyMaterialException(file, "not a PEM text file (it holds non-ASCII bytes)");
    } catch (IOException e) {
      throw new KeyMaterialException(file, "cannot read (" + e + ")");
    }
  }

  private record Block(String label, String body) {}

  private static List<Block> blocks(String text) {
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      blocks.add(new Block(m.group(1), m.group(2)));
    }
    return blocks;
  }

  private static String labels(String text) {
    return String.join(", ", blocks(text).stream().map(b -> "BEGIN " + b.label()).toList());
  }

  private static byte[] decode(Path file, Block block, int index) throws KeyMaterialException {
    try {
      return Base64.getMimeDecoder().decode(block.body().trim());
    } catch (IllegalArgumentException e) {
      throw new KeyMaterialException(
          file,
          "PEM block " + index + " (" + block.label() + ") is not valid Base64: " + e.getMessage());
    }
  }
}
