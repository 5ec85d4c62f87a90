package dev.karpenter.api.validation;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads every document of a YAML (or JSON) text into a tree, remembering the line of each node so
 * that errors can point at the line a user has to change.
 */
public final class YamlDocuments {
  private static final YAMLFactory YAML = new YAMLFactory();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private YamlDocuments() {}

  public static List<LocatedDocument> parse(String text) throws YamlSyntaxException {
    List<LocatedDocument> docs = new ArrayList<>();
    try (JsonParser p = YAML.createParser(text)) {
      int index = 0;
      while (p.nextToken() != null) {
        int start = line(p);
        Map<String, Integer> lines = new HashMap<>();
        lines.put("", start);
        JsonNode root = read(p, "", lines);
        if (!root.isNull()) {
          docs.add(new LocatedDocument(index, root, start, lines));
        }
        index++;
      }
    } catch (JsonProcessingException e) {
      if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
        String context =
            m.getContext() == null
                ? ""
                : " ("
                    + m.getContext()
                    + (m.getContextMark() == null
                        ? ""
                        : " at line " + (m.getContextMark().getLine() + 1))
                    + ")";
        throw new YamlSyntaxException(m.getProblemMark().getLine() + 1, m.getProblem() + context);
      }
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new YamlSyntaxException(line, firstLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return docs;
  }

  private static JsonNode read(JsonParser p, String pointer, Map<String, Integer> lines)
      throws IOException, YamlSyntaxException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        ObjectNode o = NODES.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          int keyLine = line(p);
          // kubectl rejects duplicate keys; silently keeping the last one would hide a mistake.
          if (o.has(name)) {
            throw new YamlSyntaxException(
                keyLine,
                "mapping key \""
                    + name
                    + "\" already defined at line "
                    + lines.get(child(pointer, name)));
          }
          String childPointer = child(pointer, name);
          lines.put(childPointer, keyLine);
          p.nextToken();
          o.set(name, read(p, childPointer, lines));
        }
        return o;
      }
      case START_ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          String childPointer = pointer + "/" + i++;
          lines.put(childPointer, line(p));
          a.add(read(p, childPointer, lines));
        }
        return a;
      }
      case VALUE_STRING -> {
        return NODES.textNode(p.getText());
      }
      case VALUE_NUMBER_INT -> {
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? NODES.numberNode(p.getBigIntegerValue())
            : NODES.numberNode(p.getLongValue());
      }
      case VALUE_NUMBER_FLOAT -> {
        return NODES.numberNode(p.getDoubleValue());
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return NODES.booleanNode(t == JsonToken.VALUE_TRUE);
      }
      case VALUE_NULL -> {
        return NODES.nullNode();
      }
      default -> {
        return NODES.textNode(p.getText());
      }
    }
  }

  /** The JSON pointer of a child: {@code ~} and {@code /} in names are escaped (RFC 6901). */
  static String child(String pointer, String name) {
    return pointer + "/" + name.replace("~", "~0").replace("/", "~1");
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "not valid YAML";
    }
    return message.lines().map(String::strip).filter(s -> !s.isEmpty()).findFirst().orElse(message);
  }
}
