namespace Basin.Data;

/// <summary>A data file or folder that cannot be read: the message names the file and the problem.</summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/> with a description of the problem.</summary>
    public DataFormatException(string path, string problem) : base($"{path}: {problem}")
    {
        Path = path;
    }

    /// <summary>The file or folder at fault.</summary>
    public string Path { get; }
}
