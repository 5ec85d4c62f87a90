package dev.karpenter.api.validation;

/** A CEL rule that was not evaluated offline at {@code path}, and why. */
public record SkippedRule(FieldPath path, String rule, String reason, boolean transition) {}
