{{/*
Router "service" (no router): the stable Service's selector carries the split.
  weight 0       -> the active colour only
  weight 1..99   -> both colours; each gets a share proportional to its ready replicas
  weight 100     -> the preview colour only
Every other router keeps the stable Service on the active colour and splits in front of it.
*/}}
{{- define "bulwark.stableSelector" -}}
{{- $w := int .Values.canary.weight }}
{{- if and (eq .Values.trafficRouting.type "service") (gt $w 0) }}
{{- if ge $w 100 }}
{{- include "bulwark.colorSelectorLabels" (dict "ctx" . "color" (include "bulwark.previewColor" .)) }}
{{- else }}
{{- include "bulwark.serverSelectorLabels" . }}
{{- end }}
{{- else }}
{{- include "bulwark.colorSelectorLabels" (dict "ctx" . "color" .Values.activeColor) }}
{{- end }}
{{- end }}
