package dev.karpenter.api.validation;

/**
 * Where a node is: {@code field} in the API server's path syntax ({@code
 * spec.template.spec.requirements[1].key}) and {@code pointer} as a JSON pointer into the document.
 */
public record FieldPath(String field, String pointer) {
  public static final FieldPath ROOT = new FieldPath("", "");

  /** A property of an object, or a map entry as the OpenAPI schema validation names it. */
  public FieldPath child(String name) {
    return new FieldPath(
        field.isEmpty() ? name : field + "." + name, YamlDocuments.child(pointer, name));
  }

  public FieldPath index(int i) {
    return new FieldPath(field + "[" + i + "]", pointer + "/" + i);
  }

  /** A map entry as CEL validation names it: {@code labels[team]}. */
  public FieldPath key(String key) {
    return new FieldPath(field + "[" + key + "]", YamlDocuments.child(pointer, key));
  }

  @Override
  public String toString() {
    return field;
  }
}
