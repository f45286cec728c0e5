using Basin.Data;
using Xunit;

namespace Basin.Tests.Data;

public class CifarAndDigitsTests
{
    [Fact]
    public void ReadsCifar10WithChannelPlanesInOrder()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("data_batch_1.bin"), TestFiles.CifarRecords(3, 1, r => r + 4));
        File.WriteAllBytes(tmp.File("data_batch_2.bin"), TestFiles.CifarRecords(2, 1, r => 9));
        File.WriteAllBytes(tmp.File("test_batch.bin"), TestFiles.CifarRecords(1, 1, r => 0));
        using var split = DataCatalog.Load(tmp.Path);
        Assert.Equal(5, split.Train.Count);
        Assert.Equal(1, split.Test.Count);
        Assert.Equal(new long[] { 3, 32, 32 }, split.Train.SampleShape);
        Assert.Equal(new long[] { 4, 5, 6, 9, 9 }, split.Train.LabelArray());
        // record 2, channel 1 (green) = 10·1 + 2 = 12
        Assert.Equal(12f / 255f, split.Train.Features[2, 1, 31, 0].item<float>(), 6);
        Assert.Equal(2f / 255f, split.Train.Features[2, 0, 0, 0].item<float>(), 6);
    }

    [Fact]
    public void ReadsCifar100FineLabels()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("train.bin"), TestFiles.CifarRecords(2, 2, r => 57 + r));
        File.WriteAllBytes(tmp.File("test.bin"), TestFiles.CifarRecords(1, 2, r => 99));
        using var split = DataCatalog.Load(tmp.Path);
        Assert.Equal(100, split.Train.NumClasses);
        Assert.Equal(new long[] { 57, 58 }, split.Train.LabelArray());
    }

    [Fact]
    public void TruncatedCifarFileAndOutOfRangeLabelAreErrors()
    {
        using var tmp = new TempFolder();
        var bytes = TestFiles.CifarRecords(2, 1, r => 1);
        File.WriteAllBytes(tmp.File("cut.bin"), bytes[..^100]);
        var e = Assert.Throws<DataFormatException>(() => CifarReader.Read("x", [tmp.File("cut.bin")], 1, 10));
        Assert.Contains("not a whole number of 3073-byte records", e.Message);
        File.WriteAllBytes(tmp.File("label.bin"), TestFiles.CifarRecords(1, 1, r => 42));
        Assert.Contains("label 42", Assert.Throws<DataFormatException>(() => CifarReader.Read("x", [tmp.File("label.bin")], 1, 10)).Message);
    }

    [Fact]
    public void ReadsNpmMnistDigits()
    {
        using var tmp = new TempFolder();
        TestFiles.WriteDigitsFolder(tmp.Path);
        using var all = MnistJsonReader.Read(tmp.Path);
        int expected = Enumerable.Range(0, 10).Sum(d => d % 3 + 1);
        Assert.Equal(expected, all.Count);
        Assert.Equal(new long[] { 1, 28, 28 }, all.SampleShape);
        var labels = all.LabelArray();
        Assert.Equal(3, labels.Count(l => l == 2)); // 2 % 3 + 1
        Assert.Equal(0.75f, all.Features[0].flatten()[3].item<float>(), 6);
    }

    [Fact]
    public void BrokenDigitFilesAreNamed()
    {
        using var tmp = new TempFolder();
        TestFiles.WriteDigitsFolder(tmp.Path);
        File.WriteAllText(tmp.File("4.json"), "{ \"data\": [0.1, 0.2");
        Assert.Contains("4.json: not valid JSON", Assert.Throws<DataFormatException>(() => MnistJsonReader.Read(tmp.Path)).Message);
        File.WriteAllText(tmp.File("4.json"), "{ \"data\": [0.1, 0.2] }");
        Assert.Contains("not a whole number of 784-pixel digits", Assert.Throws<DataFormatException>(() => MnistJsonReader.Read(tmp.Path)).Message);
        TestFiles.WriteDigitsFolder(tmp.Path);
        File.Delete(tmp.File("7.json"));
        Assert.Contains("not found", Assert.Throws<DataFormatException>(() => MnistJsonReader.Read(tmp.Path)).Message);
    }

    [Fact]
    public void UnknownDataSpecGivesTheKnownNames()
    {
        var e = Assert.Throws<DataFormatException>(() => DataCatalog.Load("/no/such/folder"));
        Assert.Contains("fashion-mnist", e.Message);
        Assert.Contains("mixture:d=", Assert.Throws<DataFormatException>(() => DataCatalog.Load("mixture:d=0,k=2")).Message);
    }

    [Fact]
    public void SetUpInstalledRealFashionMnistAndMnistDigits()
    {
        var fashion = DataCatalog.LocateFashionMnist();
        Assert.True(fashion.Location is not null, $"Fashion-MNIST not found in {string.Join(", ", fashion.Searched)}: run scripts/setup.sh");
        using (var split = DataCatalog.Load("fashion-mnist"))
        {
            Assert.Equal(60000, split.Train.Count);
            Assert.Equal(10000, split.Test.Count);
            Assert.Equal(new long[] { 1, 28, 28 }, split.Train.SampleShape);
            // Fashion-MNIST is balanced: 6 000 training images per class.
            Assert.All(split.Train.LabelArray().GroupBy(l => l), g => Assert.Equal(6000, g.Count()));
        }
        using (var digits = DataCatalog.Load("mnist"))
        {
            Assert.Equal(10000, digits.Train.Count + digits.Test.Count);
            Assert.Equal(2000, digits.Test.Count);
        }
    }
}
