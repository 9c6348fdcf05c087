package pipeline

import "github.com/callscope/callscope/internal/config"

// dtmfSection is the top-level "dtmf" section of the configuration file.
type dtmfSection struct {
	// StoreDigits keeps raw DTMF digits in the dataset (default false).
	StoreDigits bool `yaml:"store_digits"`
}

// OptionsFromConfig returns DefaultOptions overridden by the configuration
// file's sections: dsp (dsp.Options), quality (quality.Config) and
// dtmf.store_digits. analyze and ingest --analyze both use it, so one file
// configures the analysis wherever it runs. Unknown keys are errors that
// name the file and the key.
func OptionsFromConfig(cfg *config.Config) (Options, error) {
	opts := DefaultOptions()
	if cfg == nil {
		return opts, nil
	}
	if err := cfg.Decode("dsp", &opts.DSP); err != nil {
		return opts, err
	}
	if err := cfg.Decode("quality", &opts.Quality); err != nil {
		return opts, err
	}
	var dt dtmfSection
	if err := cfg.Decode("dtmf", &dt); err != nil {
		return opts, err
	}
	opts.StoreDigits = dt.StoreDigits
	return opts, nil
}
