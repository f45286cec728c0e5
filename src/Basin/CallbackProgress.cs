namespace Basin;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its callback synchronously on the reporting thread (unlike
/// <see cref="Progress{T}"/>, which posts to a synchronization context and may reorder reports).
/// </summary>
public sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
