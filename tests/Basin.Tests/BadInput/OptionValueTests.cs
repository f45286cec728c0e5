using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>Command lines whose message named the wrong thing, or that wrote what they should have refused.</summary>
public class OptionValueTests
{
    [Theory]
    [InlineData("--epochs needs a value before --lr", "train", "--epochs", "--lr", "0.1", "--data", "mixture:d=2,k=2,n=10")]
    [InlineData("--out needs a value before --json", "train", "--data", "mixture:d=2,k=2,n=10", "--epochs", "1", "--out", "--json")]
    [InlineData("--out needs a value (run folder", "train", "--data", "mixture:d=2,k=2,n=10", "--out", "--seed=3")]
    [InlineData("--epochs needs a value (", "train", "--data", "mixture:d=2,k=2,n=10", "--epochs")]
    public void AnOptionWithoutItsValueIsNamed(string fragment, params string[] args) =>
        // Refused while reading the command line, before any command runs: nothing is written (no folder named "--json").
        BadInputAssert.OneLine(BasinProcess.Run(args), 2, fragment);

}
