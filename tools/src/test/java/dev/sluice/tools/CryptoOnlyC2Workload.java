package dev.sluice.tools;

import java.nio.ByteBuffer;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A JVM's work for {@link CryptoOnlyC2Test}: AES-GCM over 16 KiB records, as TLS 1.3 does, and a
 * hot method of its own that C2 would compile if it were allowed to.
 */
public final class CryptoOnlyC2Workload {
  private CryptoOnlyC2Workload() {}

  public static void main(String[] args) throws Exception {
    int records = Integer.parseInt(args[0]);
    SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
    ByteBuffer plain = ByteBuffer.allocate(16384);
    ByteBuffer sealed = ByteBuffer.allocate(16384 + 16);
    long sum = 0;
    for (int i = 0; i < records; i++) {
      byte[] nonce = new byte[12];
      ByteBuffer.wrap(nonce).putInt(4, i);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      plain.clear();
      sealed.clear();
      cipher.doFinal(plain, sealed);
      for (int j = 0; j < 64; j++) {
        sum += mix(sum + j);
      }
    }
    System.out.println("workload done " + sum);
  }

  static long mix(long x) {
    long h = x * 0x9E3779B97F4A7C15L;
    for (int i = 0; i < 8; i++) {
      h ^= h >>> 29;
      h *= 0xBF58476D1CE4E5B9L;
    }
    return h;
  }
}
