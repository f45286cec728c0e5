/// <summary>The input shape and benchmark batch of a zoo model: CIFAR-sized images and batch 128 for the CNNs, MNIST-sized and 2 048 otherwise.</summary>
internal static class ZooInput
{
    public static (long[] Shape, int Batch) Of(string spec) =>
        spec is "cnn6" or "resnet20" ? ([3, 32, 32], 128) : ([1, 28, 28], 2048);
}
