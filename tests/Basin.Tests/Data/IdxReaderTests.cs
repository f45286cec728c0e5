using Basin.Data;
using Xunit;

namespace Basin.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsAnIdxFolderRawAndGzipped(bool gzip)
    {
        using var tmp = new TempFolder();
        TestFiles.WriteIdxFolder(tmp.Path, n: 12, m: 5, gzip: gzip);
        using var split = IdxDataset.Load(tmp.Path, "tiny");
        Assert.Equal(12, split.Train.Count);
        Assert.Equal(5, split.Test.Count);
        Assert.Equal(new long[] { 1, 4, 3 }, split.Train.SampleShape);
        Assert.Equal(10, split.Train.NumClasses);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)(i % 10)), split.Train.LabelArray());
        // pixel (i = 7, p = 5) = (7 + 5) / 255
        var pixel = split.Train.Features[7].flatten()[5].item<float>();
        Assert.Equal(12f / 255f, pixel, 6);
    }

    [Fact]
    public void WrongMagicNumberIsNamed()
    {
        using var tmp = new TempFolder();
        var bytes = TestFiles.Idx([2], [1, 2]);
        bytes[0] = 0x12;
        File.WriteAllBytes(tmp.File("bad"), bytes);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(tmp.File("bad")));
        Assert.Contains("wrong magic number", e.Message);
        Assert.Contains(tmp.File("bad"), e.Message);
    }

    [Fact]
    public void TruncatedDataSaysHowMuchIsMissing()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("short"), TestFiles.Idx([3, 2, 2], new byte[10]));
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(tmp.File("short")));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("12 bytes", e.Message);
    }

    [Fact]
    public void TruncatedGzipIsAnError()
    {
        using var tmp = new TempFolder();
        var gz = TestFiles.Gzip(TestFiles.Idx([50, 4, 4], new byte[800]));
        File.WriteAllBytes(tmp.File("cut.gz"), gz[..(gz.Length / 2)]);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(tmp.File("cut.gz")));
        Assert.Contains(tmp.File("cut.gz"), e.Message);
    }

    [Fact]
    public void TrailingBytesAndUnsupportedTypesAreErrors()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("long"), TestFiles.Idx([2], [1, 2, 3]));
        Assert.Contains("trailing", Assert.Throws<DataFormatException>(() => IdxReader.Read(tmp.File("long"))).Message);
        File.WriteAllBytes(tmp.File("float"), TestFiles.Idx([1], [0, 0, 0, 0], type: 0x0D));
        Assert.Contains("not supported", Assert.Throws<DataFormatException>(() => IdxReader.Read(tmp.File("float"))).Message);
        Assert.Contains("not found", Assert.Throws<DataFormatException>(() => IdxReader.Read(tmp.File("missing"))).Message);
    }

    [Fact]
    public void ImageLabelCountMismatchIsAnError()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("train-images-idx3-ubyte"), TestFiles.Idx([3, 2, 2], new byte[12]));
        File.WriteAllBytes(tmp.File("train-labels-idx1-ubyte"), TestFiles.Idx([2], [0, 1]));
        var e = Assert.Throws<DataFormatException>(() => IdxDataset.LoadPair(tmp.Path, "train", "x"));
        Assert.Contains("2 labels for 3 images", e.Message);
    }

    [Fact]
    public void EmptyImageFileIsAnError()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("train-images-idx3-ubyte"), TestFiles.Idx([0, 2, 2], []));
        File.WriteAllBytes(tmp.File("train-labels-idx1-ubyte"), TestFiles.Idx([0], []));
        Assert.Contains("empty", Assert.Throws<DataFormatException>(() => IdxDataset.LoadPair(tmp.Path, "train", "x")).Message);
    }

    [Fact]
    public void DimensionsWhoseProductOverflowsAreNamed()
    {
        using var tmp = new TempFolder();
        string file = tmp.File("huge-idx3-ubyte");
        File.WriteAllBytes(file, TestFiles.Idx([int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue], new byte[16]));
        var e = Assert.Throws<Basin.Data.DataFormatException>(() => Basin.Data.IdxReader.Read(file));
        Assert.Contains("describe more data than a file can hold", e.Message);
    }
}
