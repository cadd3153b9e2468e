package training

import (
	"errors"
	"fmt"

	"github.com/convexst/stcnn/datasets"
)

// Data are the clean and noisy training and test images of a run: the
// network's inputs (Noisy) and targets (Clean). For a run of "given" data
// they are whatever the network maps and fits: the five samples of a 1-D
// toy, or a classifier's images and one-hot labels (stcnn.OneHotTargets).
type Data struct {
	TrainClean, TrainNoisy *datasets.Images
	TestClean, TestNoisy   *datasets.Images
}

// hasTest reports whether the data have test images.
func (d *Data) hasTest() bool { return d.TestNoisy != nil && d.TestNoisy.N > 0 }

// check makes sure data handed to Run are the configuration's: the
// training and test sizes, noisy and clean images paired.
func (d *Data) check(c Config) error {
	if d.TrainClean == nil || d.TrainNoisy == nil {
		return errors.New("training: Options.Data has no training images")
	}
	if d.TrainClean.N != c.TrainSize || d.TrainNoisy.N != c.TrainSize {
		return fmt.Errorf("training: Options.Data has %d training images, config field \"train_size\" says %d", d.TrainClean.N, c.TrainSize)
	}
	test := 0
	if d.TestClean != nil {
		test = d.TestClean.N
	}
	if test != c.TestSize || (d.TestNoisy == nil) != (d.TestClean == nil) {
		return fmt.Errorf("training: Options.Data has %d test images, config field \"test_size\" says %d", test, c.TestSize)
	}
	return nil
}

// LoadData reads the configured data set, draws the seeded subsets and adds
// the seeded noise (WithNoise). A TestSize of 0 gives no test set.
func LoadData(c Config) (*Data, error) {
	var train, test *datasets.Images
	var err error
	switch c.Dataset {
	case MNIST:
		train, test, err = readSplits(datasets.MNISTDir, datasets.LoadMNIST, c.DataDir, c.TestSize > 0)
	case CIFAR10:
		train, test, err = readSplits(datasets.CIFAR10Dir, datasets.LoadCIFAR10, c.DataDir, c.TestSize > 0)
	case Given:
		return nil, errors.New("training: dataset \"given\" is not loaded: hand its images to Run in Options.Data")
	default:
		return nil, fmt.Errorf("training: unknown dataset %q", c.Dataset)
	}
	if err != nil {
		return nil, err
	}
	s := c.Seeds()
	trainClean, err := train.Subset(c.TrainSize, s.TrainSubset)
	if err != nil {
		return nil, fmt.Errorf("training: config field \"train_size\": %w", err)
	}
	var testClean *datasets.Images
	if c.TestSize > 0 {
		if testClean, err = test.Subset(c.TestSize, s.TestSubset); err != nil {
			return nil, fmt.Errorf("training: config field \"test_size\": %w", err)
		}
	}
	return WithNoise(trainClean, testClean, c)
}

// readSplits reads the training images, and the test images when withTest
// is set, from the directory that find locates (dataDir: the explicit one).
func readSplits(find func(explicit string) (string, error), read func(dir string, split datasets.Split) (*datasets.Images, error),
	dataDir string, withTest bool) (train, test *datasets.Images, err error) {
	dir, err := find(dataDir)
	if err != nil {
		return nil, nil, err
	}
	if train, err = read(dir, datasets.Train); err == nil && withTest {
		test, err = read(dir, datasets.Test)
	}
	return train, test, err
}

// WithNoise returns the data of c from its clean training and test images
// (testClean may be nil): the noisy copies are drawn with c's sigma and
// noise seeds, as LoadData draws them, so clean subsets read once serve
// every noise level. With c.ClipNoisy the noisy copies are clipped to [0, 1].
func WithNoise(trainClean, testClean *datasets.Images, c Config) (*Data, error) {
	s := c.Seeds()
	d := &Data{TrainClean: trainClean, TestClean: testClean}
	var err error
	if d.TrainNoisy, err = datasets.AddGaussianNoise(trainClean, c.Sigma, s.TrainNoise); err != nil {
		return nil, err
	}
	if testClean != nil {
		if d.TestNoisy, err = datasets.AddGaussianNoise(testClean, c.Sigma, s.TestNoise); err != nil {
			return nil, err
		}
	}
	if c.ClipNoisy {
		datasets.ClipToUnitRange(d.TrainNoisy)
		if d.TestNoisy != nil {
			datasets.ClipToUnitRange(d.TestNoisy)
		}
	}
	return d, nil
}
