package dev.karpenter.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * Hands tests an {@link Ec2Client} (AWS SDK v2, endpoint override to moto, static test credentials,
 * retries off) or the {@link MotoServer}. One server per test JVM; each client is closed after the
 * test or class that asked for it. Tag such tests {@code @Tag("moto")}.
 */
public final class MotoExtension implements ParameterResolver {

  public static MotoServer server(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.create(MotoExtension.class))
        .computeIfAbsent(MotoServer.class, k -> MotoServer.obtain(), MotoServer.class);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == Ec2Client.class || type == MotoServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    MotoServer server = server(context);
    if (parameter.getParameter().getType() == MotoServer.class) {
      return server;
    }
    Ec2Client client = server.ec2();
    context.getStore(ExtensionContext.Namespace.create(MotoExtension.class)).put(client, client);
    return client;
  }
}
