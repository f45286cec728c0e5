namespace Basin.Cli.Infrastructure;

/// <summary>A bad command line: the message says what was wrong and what would be right.</summary>
public sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// Runs a library check of values that came from the command line, turning its
    /// <see cref="ArgumentException"/> into a usage error (exit 2). A library <see cref="ArgumentException"/>
    /// that escapes elsewhere is about data, a checkpoint or a run (exit 1).
    /// </summary>
    public static T Check<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message, e);
        }
    }

    /// <inheritdoc cref="Check{T}(Func{T})"/>
    public static void Check(Action check) => Check(() =>
    {
        check();
        return 0;
    });
}
