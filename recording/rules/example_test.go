package rules_test

import (
	"fmt"

	"github.com/callscope/callscope/recording/rules"
)

func ExampleSet_Evaluate() {
	set, err := rules.Parse("rules.yaml", []byte(`
rules:
  - name: pci-pause
    on: Microsoft.Communication.ContinuousDtmfRecognitionToneReceived
    when: "event.tone == 'asterisk' && recording.state == 'active'"
    do: pause
`))
	if err != nil {
		panic(err)
	}
	m, _ := set.Evaluate(rules.Event{
		Type:      "Microsoft.Communication.ContinuousDtmfRecognitionToneReceived",
		Data:      map[string]any{"tone": "asterisk", "sequenceId": 3},
		Recording: map[string]any{"state": "active"},
	})
	for _, x := range m {
		fmt.Println(x.Rule, x.Action, x.Pos)
	}
	// Output: pci-pause pause rules.yaml:3
}

func ExampleParse_error() {
	_, err := rules.Parse("rules.yaml", []byte(`
rules:
  - name: typo
    on: Microsoft.Communication.CallStarted
    when: "call.corelationId == 'x' && hash(call) > 1"
    do: start
`))
	fmt.Println(err)
	// Output: rules.yaml:3: rule "typo": when: column 33: found no matching overload for 'hash' applied to '(map(string, dyn))' (CEL line 1)
}
