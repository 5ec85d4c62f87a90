package dev.karpenter.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * One YAML document of a file with the line of every node, keyed by JSON pointer ({@code ""} is the
 * document itself).
 */
public record LocatedDocument(int index, JsonNode root, int startLine, Map<String, Integer> lines) {

  public LocatedDocument {
    lines = Map.copyOf(lines);
  }

  /** The line of the node at the pointer, or of its nearest ancestor present in the file. */
  public int lineOf(String pointer) {
    String p = pointer;
    while (true) {
      Integer line = lines.get(p);
      if (line != null) {
        return line;
      }
      if (p.isEmpty()) {
        return startLine;
      }
      p = p.substring(0, p.lastIndexOf('/'));
    }
  }

  /** The node at the pointer as a document of its own (an item of a {@code kind: List}). */
  public LocatedDocument sub(String pointer, int subIndex) {
    java.util.Map<String, Integer> subLines = new java.util.HashMap<>();
    lines.forEach(
        (p, line) -> {
          if (p.equals(pointer) || p.startsWith(pointer + "/")) {
            subLines.put(p.substring(pointer.length()), line);
          }
        });
    return new LocatedDocument(subIndex, root.at(pointer), lineOf(pointer), subLines);
  }
}
