// Package pipeline runs one recording through every analysis stage: it opens
// the recording (a recording folder as ingest writes it, or a bare WAV
// file), streams its chunks through dsp, derives QA flags and roles with
// quality, and turns the result into the dataset rows of store.
//
// It is what `analyze` runs per input and what `ingest --analyze` runs after
// a download. Failures carry the input path and the stage; Quarantine
// records them under DATA/quarantine/ so a batch can go on.
package pipeline
