package dev.karpenter.api.v1;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The {@code karpenter.sh/nodepool-hash} annotation: a stable hash of the NodePool's template, so
 * NodeClaims launched from an older template can be recognised as drifted.
 */
public final class NodePoolHash {
  public static final String ANNOTATION = "karpenter.sh/nodepool-hash";
  public static final String VERSION_ANNOTATION = "karpenter.sh/nodepool-hash-version";
  public static final String VERSION = "v3";

  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();

  private NodePoolHash() {}

  public static String of(NodePool pool) {
    try {
      byte[] json = CANONICAL.writeValueAsBytes(pool.getSpec().template());
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(json);
      return Long.toUnsignedString(ByteBuffer.wrap(digest).getLong());
    } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("hashing NodePool " + pool.getMetadata().getName(), e);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
