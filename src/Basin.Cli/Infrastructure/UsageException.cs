namespace Basin.Cli.Infrastructure;

/// <summary>A bad command line: the message says what was wrong and what would be right.</summary>
public sealed class UsageException(string message) : Exception(message);
