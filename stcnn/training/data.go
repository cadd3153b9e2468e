package training

import (
	"fmt"

	"github.com/convexst/stcnn/datasets"
)

// Data are the clean and noisy training and test images of a run.
type Data struct {
	TrainClean, TrainNoisy *datasets.Images
	TestClean, TestNoisy   *datasets.Images
}

// LoadData reads the configured data set, draws the seeded subsets and adds
// the seeded noise. A TestSize of 0 gives no test set.
func LoadData(c Config) (*Data, error) {
	var train, test *datasets.Images
	var err error
	switch c.Dataset {
	case MNIST:
		dir, derr := datasets.MNISTDir(c.DataDir)
		if derr != nil {
			return nil, derr
		}
		if train, err = datasets.LoadMNIST(dir, datasets.Train); err == nil && c.TestSize > 0 {
			test, err = datasets.LoadMNIST(dir, datasets.Test)
		}
	case CIFAR10:
		dir, derr := datasets.CIFAR10Dir(c.DataDir)
		if derr != nil {
			return nil, derr
		}
		if train, err = datasets.LoadCIFAR10(dir, datasets.Train); err == nil && c.TestSize > 0 {
			test, err = datasets.LoadCIFAR10(dir, datasets.Test)
		}
	default:
		return nil, fmt.Errorf("training: unknown dataset %q", c.Dataset)
	}
	if err != nil {
		return nil, err
	}
	s := c.Seeds()
	d := &Data{}
	if d.TrainClean, err = train.Subset(c.TrainSize, s.TrainSubset); err != nil {
		return nil, fmt.Errorf("training: config field \"train_size\": %w", err)
	}
	if d.TrainNoisy, err = datasets.AddGaussianNoise(d.TrainClean, c.Sigma, s.TrainNoise); err != nil {
		return nil, err
	}
	if c.TestSize > 0 {
		if d.TestClean, err = test.Subset(c.TestSize, s.TestSubset); err != nil {
			return nil, fmt.Errorf("training: config field \"test_size\": %w", err)
		}
		if d.TestNoisy, err = datasets.AddGaussianNoise(d.TestClean, c.Sigma, s.TestNoise); err != nil {
			return nil, err
		}
	}
	return d, nil
}
